//! Where `annoqa convert` puts what it made: one file through a temporary file renamed into
//! place, a folder through a temporary folder, and either one's start while the input is
//! still read. Nothing is left half-written where a complete output was expected.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use annoqa_interop::convert::{Finished, StreamWriter};
use annoqa_interop::{FilePiece, OutputFile};
use anyhow::{anyhow, bail, Context};

/// The temporary file beside `-o` that a streamed output's start goes into while the input is
/// read ([`StreamWriter::write_early`]); renamed when the rest is written.
pub(crate) struct EarlyFile {
    file: File,
    pub(crate) tmp: PathBuf,
    /// What the writer gave, reused.
    bytes: Vec<u8>,
    /// The first failed write: nothing more is written, and the conversion fails with it.
    failed: Option<io::Error>,
}

impl EarlyFile {
    /// `None` when the file cannot be made: the write at the end then says why.
    pub(crate) fn create(path: &Path) -> Option<EarlyFile> {
        let tmp = partial_path(path).ok()?;
        let file = File::create(&tmp).ok()?;
        Some(EarlyFile { file, tmp, bytes: Vec::new(), failed: None })
    }

    pub(crate) fn write(&mut self, writer: &mut StreamWriter) {
        if self.failed.is_none() {
            self.bytes.clear();
            writer.write_early(&mut self.bytes);
            self.failed = self.file.write_all(&self.bytes).err();
        }
    }

    /// The rest of the file after what was written early (all of it when that did not stand),
    /// then the file in its place.
    pub(crate) fn finish(mut self, path: &Path, finished: Finished) -> anyhow::Result<()> {
        let tmp = self.tmp.display();
        if let Some(e) = self.failed {
            return Err(e).with_context(|| format!("cannot write {tmp}"));
        }
        if finished.restarts() {
            self.file.set_len(0).with_context(|| format!("cannot write {tmp}"))?;
            self.file.seek(SeekFrom::Start(0)).with_context(|| format!("cannot write {tmp}"))?;
        }
        write_in_background(&mut self.file, finished).with_context(|| format!("cannot write {tmp}"))?;
        drop(self.file);
        std::fs::rename(&self.tmp, path).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// The temporary folder beside `-o DIR` that a dataset's files go into while the input is read
/// ([`StreamWriter::write_early_files`]), made on a thread of its own: creating 100,000 small
/// label files is the kernel's work, which then overlaps reading instead of following it.
/// Renamed to DIR when the rest is written.
pub(crate) struct EarlyFolder {
    tmp: PathBuf,
    /// What the writer gave, handed to the thread.
    pieces: Vec<FilePiece>,
    sender: SyncSender<Vec<FilePiece>>,
    /// Gives the folder back when everything sent is written, or the first error.
    writer: JoinHandle<anyhow::Result<FolderWriter>>,
}

/// Batches of files (one per part of the input read, about a hundred files) waiting for the
/// writing thread before reading waits for it.
const QUEUED_BATCHES: usize = 64;

impl EarlyFolder {
    /// `None` when DIR is not new or empty, or the temporary folder cannot be made: the write
    /// at the end then says why. A temporary folder left by an interrupted run is replaced.
    pub(crate) fn create(dir: &Path) -> Option<EarlyFolder> {
        check_new_or_empty(dir).ok()?;
        let tmp = partial_path(dir).ok()?;
        if tmp.is_dir() {
            std::fs::remove_dir_all(&tmp).ok()?;
        }
        std::fs::create_dir(&tmp).ok()?;
        let (sender, batches) = sync_channel::<Vec<FilePiece>>(QUEUED_BATCHES);
        let mut folder = FolderWriter::new(tmp.clone());
        let writer = std::thread::spawn(move || {
            for batch in batches {
                for piece in batch {
                    folder.write(piece)?;
                }
            }
            Ok(folder)
        });
        Some(EarlyFolder { tmp, pieces: Vec::new(), sender, writer })
    }

    pub(crate) fn write(&mut self, writer: &mut StreamWriter) {
        writer.write_early_files(&mut self.pieces);
        if !self.pieces.is_empty() {
            // When the thread stopped at an error, `finish` reports it.
            let _ = self.sender.send(std::mem::take(&mut self.pieces));
        }
    }

    /// Waits for the thread to write what it was sent.
    fn stop(self) -> (PathBuf, anyhow::Result<FolderWriter>) {
        drop(self.sender);
        let folder = self.writer.join().unwrap_or_else(|_| Err(anyhow!("the writing thread panicked")));
        (self.tmp, folder)
    }

    /// Removes the temporary folder: the conversion failed.
    pub(crate) fn discard(self) {
        let (tmp, _) = self.stop();
        let _ = std::fs::remove_dir_all(tmp);
    }

    /// The rest of the files (all of them when what was written early did not stand), then
    /// the folder in DIR's place.
    pub(crate) fn finish(self, dir: &Path, finished: Finished) -> anyhow::Result<()> {
        let (tmp, folder) = self.stop();
        let finish = || -> anyhow::Result<()> {
            let mut folder = folder?;
            // When what was written early did not stand, every file comes again whole and is
            // made anew over it; the files are the same ones either way.
            for piece in finished.into_pieces() {
                folder.write(piece)?;
            }
            std::fs::rename(&tmp, dir).with_context(|| format!("cannot write {}", dir.display()))
        };
        let finished = finish();
        if finished.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        finished
    }
}

/// Writes files under one folder, making its subfolders as they are first needed.
struct FolderWriter {
    root: PathBuf,
    made: HashSet<PathBuf>,
}

impl FolderWriter {
    fn new(root: PathBuf) -> Self {
        FolderWriter { root, made: HashSet::new() }
    }

    fn write(&mut self, piece: FilePiece) -> anyhow::Result<()> {
        let path = self.root.join(&piece.file.path);
        if let Some(parent) = path.parent() {
            if !self.made.contains(parent) {
                std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
                self.made.insert(parent.to_path_buf());
            }
        }
        let written = if piece.append {
            OpenOptions::new().append(true).open(&path).and_then(|mut file| file.write_all(&piece.file.bytes))
        } else {
            std::fs::write(&path, &piece.file.bytes)
        };
        written.with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Fails unless `dir` is new or an empty folder, so nothing already there is overwritten.
pub(crate) fn check_new_or_empty(dir: &Path) -> anyhow::Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?.next().is_some()
    {
        bail!("{}: folder is not empty; choose a new or empty folder so nothing is overwritten", dir.display());
    }
    Ok(())
}

/// A folder's files (YOLO: a label file per image) under `dir`, which must be new or empty.
pub(crate) fn write_folder(dir: &Path, files: Vec<OutputFile>) -> anyhow::Result<()> {
    check_new_or_empty(dir)?;
    let mut folder = FolderWriter::new(dir.to_path_buf());
    files.into_iter().try_for_each(|file| folder.write(FilePiece { file, append: false }))
}

/// Bytes handed to the file at a time when output is made as it is written.
pub(crate) const PIECE: usize = 4 << 20;

/// Pieces are made on this thread and written on another, so making one overlaps copying the
/// last into the file (each about a tenth of converting a large export to COCO).
pub(crate) fn write_in_background(file: &mut File, finished: Finished) -> io::Result<()> {
    std::thread::scope(|scope| {
        let (full, pieces) = sync_channel::<Vec<u8>>(1);
        // At most three buffers go round: one filled, one queued, one written.
        let (empty, emptied) = sync_channel::<Vec<u8>>(2);
        let writer = scope.spawn(move || -> io::Result<()> {
            for piece in pieces {
                file.write_all(&piece)?;
                // When making stopped, the buffer is dropped here.
                let _ = empty.send(piece);
            }
            Ok(())
        });
        let made = finished.write_pieces(PIECE, &mut |piece| {
            full.send(piece).map_err(|_| io::Error::other("the writing thread stopped"))?;
            Ok(emptied.try_recv().unwrap_or_default())
        });
        drop(full);
        let written = writer.join().unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")));
        // The file's own error says more than the maker's "stopped".
        written.and(made)
    })
}

/// Writes through a temporary file beside `path` and renames it, so a failed run never leaves
/// half a file where a complete one was expected.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// The temporary file beside `path` that is renamed to it once written.
pub(crate) fn partial_path(path: &Path) -> anyhow::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| anyhow!("{}: not a file name", path.display()))?;
    Ok(path.with_file_name(format!(".{}.partial", name.to_string_lossy())))
}

/// [`write_atomically`] with the bytes written by `write`.
pub(crate) fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> anyhow::Result<()> {
    let tmp = partial_path(path)?;
    let mut file = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    write(&mut file).with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
