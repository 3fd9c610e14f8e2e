//! The progress bar the commands that read large files (`agreement`, `aggregate`, `report`)
//! draw on stderr, by bytes read.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::Path;

/// A progress bar on stderr, by bytes read, while a large file is read on a terminal.
struct Progress {
    total: u64,
    done: u64,
    shown: u64,
    label: String,
}

impl Progress {
    /// Width of the bar in characters.
    const WIDTH: u64 = 30;

    #[cfg(test)]
    fn hidden() -> Progress {
        Progress { total: 0, done: 0, shown: 0, label: String::new() }
    }

    /// Shows progress only for files above a few megabytes and only when stderr is a terminal
    /// (`IsTerminal`), so pipes, scripts and tests see clean output.
    fn for_file(path: &Path, file: &File) -> Progress {
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        let show = std::io::stderr().is_terminal() && total > 8 << 20;
        Progress { total: if show { total } else { 0 }, done: 0, shown: 0, label: path.display().to_string() }
    }

    fn advance(&mut self, bytes: u64) {
        if self.total == 0 {
            return;
        }
        self.done = (self.done + bytes).min(self.total);
        let percent = self.done * 100 / self.total;
        if percent > self.shown {
            self.shown = percent;
            eprint!("{}", Self::bar(&self.label, self.done, self.total));
            if percent >= 100 {
                eprintln!();
            }
        }
    }

    /// One redraw of the bar: back to the line start, `reading FILE [#####.....]  42%`.
    fn bar(label: &str, done: u64, total: u64) -> String {
        let filled = (done.min(total) * Self::WIDTH).checked_div(total).unwrap_or(0) as usize;
        let percent = (done.min(total) * 100).checked_div(total).unwrap_or(0);
        format!("\rreading {label} [{}{}] {percent:3}%", "#".repeat(filled), ".".repeat(Self::WIDTH as usize - filled))
    }
}

/// A file whose reads move its progress bar. The CSV reader asks for large blocks, so the bar
/// costs nothing per row.
pub(crate) struct ProgressFile {
    file: File,
    progress: Progress,
}

impl ProgressFile {
    /// `file` (opened from `path`) with a bar that shows for a large file on a terminal.
    pub(crate) fn new(path: &Path, file: File) -> ProgressFile {
        let progress = Progress::for_file(path, &file);
        ProgressFile { file, progress }
    }
}

impl Read for ProgressFile {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buffer)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_bar_fills_by_bytes() {
        assert_eq!(Progress::bar("f.csv", 0, 200), format!("\rreading f.csv [{}]   0%", ".".repeat(30)));
        assert_eq!(
            Progress::bar("f.csv", 100, 200),
            format!("\rreading f.csv [{}{}]  50%", "#".repeat(15), ".".repeat(15))
        );
        assert_eq!(
            Progress::bar("x.json", 50, 200),
            format!("\rreading x.json [{}{}]  25%", "#".repeat(7), ".".repeat(23))
        );
        assert_eq!(Progress::bar("f.csv", 300, 200), format!("\rreading f.csv [{}] 100%", "#".repeat(30)));
        // A hidden bar (not a terminal, or a small file) never prints.
        let mut hidden = Progress::hidden();
        hidden.advance(10);
        assert_eq!(hidden.shown, 0);
    }
}
