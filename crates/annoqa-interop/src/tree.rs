//! Folder formats (YOLO datasets, COCO with its images) read through a [`FileTree`], so the
//! readers stay free of I/O: the CLI passes the real folder, tests the corpus folder.

use crate::diag::InputError;

/// A read-only folder of files addressed by `/`-separated paths relative to its root. `Sync`:
/// the Label Studio reader converts tasks on several threads, each looking up image sizes.
pub trait FileTree: Sync {
    /// The entries (files and folders) directly in `dir` (`""` is the root), sorted by name;
    /// folders end with `/`.
    fn list(&self, dir: &str) -> Result<Vec<String>, InputError>;
    /// A file's bytes.
    fn read(&self, path: &str) -> Result<Vec<u8>, InputError>;
    /// Whether `path` names a file.
    fn is_file(&self, path: &str) -> bool;
    /// The pixel size (width, height) of the image at `path`, from its header; `None` when it
    /// is missing or not an image this build can read.
    fn image_size(&self, path: &str) -> Option<(u32, u32)>;
}

/// A folder on disk.
#[cfg(feature = "fs")]
pub struct DirTree {
    root: std::path::PathBuf,
}

#[cfg(feature = "fs")]
impl DirTree {
    pub fn new(root: impl Into<std::path::PathBuf>) -> Self {
        DirTree { root: root.into() }
    }

    fn path(&self, rel: &str) -> std::path::PathBuf {
        self.root.join(rel)
    }

    fn error(&self, rel: &str, message: impl std::fmt::Display) -> InputError {
        InputError::new(self.path(rel).display().to_string(), "", message.to_string())
    }
}

#[cfg(feature = "fs")]
impl FileTree for DirTree {
    fn list(&self, dir: &str) -> Result<Vec<String>, InputError> {
        let entries = std::fs::read_dir(self.path(dir)).map_err(|e| self.error(dir, e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.error(dir, e))?;
            let mut name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().map_err(|e| self.error(dir, e))?.is_dir() {
                name.push('/');
            }
            names.push(name);
        }
        names.sort();
        Ok(names)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, InputError> {
        std::fs::read(self.path(path)).map_err(|e| self.error(path, e))
    }

    fn is_file(&self, path: &str) -> bool {
        self.path(path).is_file()
    }

    fn image_size(&self, path: &str) -> Option<(u32, u32)> {
        match annoqa_media::probe_path(&self.path(path), &annoqa_media::Limits::default()).ok()? {
            annoqa_media::MediaInfo::Image(info) => Some((info.width, info.height)),
            _ => None,
        }
    }
}
