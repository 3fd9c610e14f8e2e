//! `annoqa convert`: other tools' annotation files to and from annoqa's records, through
//! annoqa-interop. This file only reads arguments and files and writes files.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use annoqa_core::model::TaskSpec;
use annoqa_interop::convert::{self, Finished, Input, StreamWriter};
use annoqa_interop::{Diagnostics, DirTree, Format, OutputFile, OutputFormat, ReadOptions};
use anyhow::{anyhow, bail, Context};

/// `annoqa convert IN --from F --to T`: exit 0 converted, 2 could not (malformed input, or with
/// `--strict` anything the formats cannot represent).
#[derive(clap::Args)]
pub(crate) struct ConvertArgs {
    /// The input: a file, or a folder for YOLO.
    input: PathBuf,
    /// Input format: ls (Label Studio JSON export), coco, yolo, cvat (XML 1.1), annoqa (JSON Lines).
    #[arg(long, value_parser = parse_format)]
    from: Format,
    /// Output format: annoqa, ls, coco, yolo, cvat or crowdkit.
    #[arg(long, value_parser = parse_output_format)]
    to: OutputFormat,
    /// Label Studio labeling config (XML) for a Label Studio input.
    #[arg(long)]
    config: Option<PathBuf>,
    /// annoqa spec (a project folder, project.json or bare spec) for labels and media kind.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Size of every image or video frame, `WIDTHxHEIGHT`, where the input does not say it.
    #[arg(long, value_parser = parse_media_size)]
    media_size: Option<(u32, u32)>,
    /// Folder with the media, to read image sizes from their headers.
    #[arg(long)]
    media_dir: Option<PathBuf>,
    /// Output file (a folder for YOLO); standard output when absent.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Fail (exit 2, nothing written) when anything could not be represented.
    #[arg(long)]
    strict: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_output_format(s: &str) -> Result<OutputFormat, String> {
    s.parse()
}

fn parse_media_size(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("`{s}` is not a size: expected WIDTHxHEIGHT in pixels, e.g. 1920x1080");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if w == 0 || h == 0 {
        return Err(bad());
    }
    Ok((w, h))
}

/// Runs `annoqa convert`; returns the exit code.
pub(crate) fn run_convert(args: &ConvertArgs) -> anyhow::Result<u8> {
    let file_name = args.input.display().to_string();
    let config = args.config.as_deref().map(read_text).transpose()?;
    let spec = args.spec.as_deref().map(crate::qa::read_spec).transpose()?;
    let media_tree = args.media_dir.as_ref().map(DirTree::new);
    let opts = ReadOptions {
        file_name: &file_name,
        config: config.as_deref(),
        spec: spec.as_ref(),
        media_size: args.media_size,
        media: media_tree.as_ref().map(|t| t as &dyn annoqa_interop::FileTree),
    };
    let given_spec = match (&spec, &config) {
        (Some(spec), _) => Some(spec.clone()),
        (None, Some(xml)) if args.from == Format::LabelStudio => {
            Some(annoqa_interop::ls::spec_from_config(xml, &file_name)?.spec)
        }
        (None, _) => None,
    };
    let converted = match given_spec {
        // A Label Studio export streams through the writer: its records are never all held.
        Some(spec) if args.from == Format::LabelStudio && !args.input.is_dir() => convert_streaming(args, &opts, spec)?,
        _ => convert_whole(args, &opts, spec.clone())?,
    };
    let Outcome { output, diagnostics, records, spec: target_spec } = converted;
    eprint!("{diagnostics}");
    if args.strict && !diagnostics.is_empty() {
        eprintln!("error: --strict: some input could not be represented (listed above); nothing written");
        return Ok(2);
    }
    write_output(args, output)?;
    if args.to == OutputFormat::LabelStudio {
        if let (Some(output), Some(spec)) = (&args.output, &target_spec) {
            let config_path = output.with_extension("label_config.xml");
            write_atomically(&config_path, annoqa_interop::ls::config_from_spec(spec).as_bytes())?;
            eprintln!("labeling config written to {}", config_path.display());
        }
    }
    eprintln!("converted {records} record(s)");
    Ok(0)
}

/// A conversion's output and what was reported on the way.
struct Outcome {
    output: Output,
    diagnostics: Diagnostics,
    records: usize,
    /// The spec the output's labels follow.
    spec: Option<TaskSpec>,
}

/// What a conversion made: files in memory, or output made as it is written (its start
/// perhaps already written while the input was read).
enum Output {
    Files(Vec<OutputFile>),
    Unwritten(Finished, Option<EarlyFile>),
}

/// Reads all records, then writes them (formats whose spec comes with the input: categories,
/// class names, CVAT labels).
fn convert_whole(args: &ConvertArgs, opts: &ReadOptions<'_>, spec: Option<TaskSpec>) -> anyhow::Result<Outcome> {
    let file_name = opts.file_name;
    let converted = if args.input.is_dir() {
        convert::read(args.from, Input::Folder(&DirTree::new(&args.input)), opts)?
    } else {
        let bytes = std::fs::read(&args.input).with_context(|| format!("cannot read {file_name}"))?;
        convert::read(args.from, Input::Bytes(&bytes), opts)?
    };
    let target_spec = spec.or(converted.spec);
    let written = convert::write(args.to, &converted.records, target_spec.as_ref())
        .map_err(|e| anyhow!("cannot write --to {}: {}", args.to, e.message))?;
    let mut diagnostics = converted.diagnostics;
    diagnostics.merge(written.diagnostics);
    Ok(Outcome {
        output: Output::Files(written.files),
        diagnostics,
        records: converted.records.len(),
        spec: target_spec,
    })
}

/// A Label Studio export with a known spec, record by record into the writer.
fn convert_streaming(args: &ConvertArgs, opts: &ReadOptions<'_>, spec: TaskSpec) -> anyhow::Result<Outcome> {
    let file_name = opts.file_name;
    let file = File::open(&args.input).with_context(|| format!("cannot read {file_name}"))?;
    let mut writer = StreamWriter::new(args.to, Some(spec.clone()));
    // The writer's per-record work runs on the reading threads; its parts arrive in order.
    let parts = writer.parts();
    // A COCO file's start is written while the rest is read, unless `--strict` may refuse it.
    let mut early = match &args.output {
        Some(path) if args.to == OutputFormat::Coco && !args.strict => EarlyFile::create(path),
        _ => None,
    };
    let read = annoqa_interop::ls::for_each_part(file, opts, &parts, &mut |part| {
        writer.append(part);
        if let Some(early) = &mut early {
            early.write(&mut writer);
        }
    });
    // A failed conversion leaves no temporary file behind.
    let discard = |early: Option<EarlyFile>| {
        if let Some(early) = early {
            let _ = std::fs::remove_file(&early.tmp);
        }
    };
    let (_, mut diagnostics) = match read {
        Ok(read) => read,
        Err(e) => {
            discard(early);
            return Err(e.into());
        }
    };
    let records = writer.records();
    // A COCO file is made while it is written, never held whole.
    let finished = match writer.finish_unwritten() {
        Ok(finished) => finished,
        Err(e) => {
            discard(early);
            bail!("cannot write --to {}: {}", args.to, e.message);
        }
    };
    diagnostics.merge(finished.diagnostics.clone());
    Ok(Outcome { output: Output::Unwritten(finished, early), diagnostics, records, spec: Some(spec) })
}

/// The temporary file beside `-o` that a streamed output's start goes into while the input is
/// read ([`StreamWriter::write_early`]); renamed when the rest is written.
struct EarlyFile {
    file: File,
    tmp: PathBuf,
    /// What the writer gave, reused.
    bytes: Vec<u8>,
    /// The first failed write: nothing more is written, and the conversion fails with it.
    failed: Option<io::Error>,
}

impl EarlyFile {
    /// `None` when the file cannot be made: the write at the end then says why.
    fn create(path: &Path) -> Option<EarlyFile> {
        let tmp = partial_path(path).ok()?;
        let file = File::create(&tmp).ok()?;
        Some(EarlyFile { file, tmp, bytes: Vec::new(), failed: None })
    }

    fn write(&mut self, writer: &mut StreamWriter) {
        if self.failed.is_none() {
            self.bytes.clear();
            writer.write_early(&mut self.bytes);
            self.failed = self.file.write_all(&self.bytes).err();
        }
    }

    /// The rest of the file after what was written early (all of it when that did not stand),
    /// then the file in its place.
    fn finish(mut self, path: &Path, finished: Finished) -> anyhow::Result<()> {
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

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// One file goes to `-o` or standard output; a folder's files (YOLO) under `-o`, which must be
/// new or empty so nothing already there is overwritten.
fn write_output(args: &ConvertArgs, output: Output) -> anyhow::Result<()> {
    let files = match output {
        Output::Unwritten(finished, Some(early)) => match &args.output {
            Some(path) => return early.finish(path, finished),
            None => finished.into_files(),
        },
        Output::Unwritten(finished, None) if finished.is_one_file() => return write_one_file(args, finished),
        Output::Unwritten(finished, None) => finished.into_files(),
        Output::Files(files) => files,
    };
    match (files.as_slice(), &args.output) {
        ([single], None) if single.path.is_empty() => {
            io::stdout().lock().write_all(&single.bytes).context("cannot write to standard output")
        }
        ([single], Some(path)) if single.path.is_empty() => write_atomically(path, &single.bytes),
        (_, None) => bail!("--to {} writes a folder: name it with -o DIR", args.to),
        (files, Some(dir)) => write_folder(dir, files),
    }
}

/// A folder's files (YOLO: a label file per image) under `dir`, which must be new or empty so
/// nothing already there is overwritten. Creating many small files is the kernel's work, one
/// file at a time: several threads write their share at once.
fn write_folder(dir: &Path, files: &[OutputFile]) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?.next().is_some()
    {
        bail!("{}: folder is not empty; choose a new or empty folder so nothing is overwritten", dir.display());
    }
    let folders: BTreeSet<PathBuf> =
        files.iter().filter_map(|file| dir.join(&file.path).parent().map(Path::to_path_buf)).collect();
    for folder in &folders {
        std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let share = files.len().div_ceil(threads).max(1);
    let write_share = |share: &[OutputFile]| -> anyhow::Result<()> {
        for file in share {
            let path = dir.join(&file.path);
            std::fs::write(&path, &file.bytes).with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let writers: Vec<_> = files.chunks(share).map(|share| scope.spawn(move || write_share(share))).collect();
        // The first share's error is reported: the one a single thread would have met first.
        writers.into_iter().try_for_each(|writer| writer.join().unwrap_or_else(|_| bail!("a writing thread panicked")))
    })
}

/// Bytes handed to the file at a time when output is made as it is written.
const PIECE: usize = 4 << 20;

/// One file made a piece at a time, to `-o` or standard output.
fn write_one_file(args: &ConvertArgs, finished: Finished) -> anyhow::Result<()> {
    match &args.output {
        Some(path) => write_atomically_with(path, |file| write_in_background(file, finished)),
        None => {
            let mut stdout = io::stdout().lock();
            let mut sink = |piece: Vec<u8>| stdout.write_all(&piece).map(|()| piece);
            finished.write_pieces(PIECE, &mut sink).context("cannot write to standard output")
        }
    }
}

/// Pieces are made on this thread and written on another, so making one overlaps copying the
/// last into the file (each about a tenth of converting a large export to COCO).
fn write_in_background(file: &mut File, finished: Finished) -> io::Result<()> {
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
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// The temporary file beside `path` that is renamed to it once written.
fn partial_path(path: &Path) -> anyhow::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| anyhow!("{}: not a file name", path.display()))?;
    Ok(path.with_file_name(format!(".{}.partial", name.to_string_lossy())))
}

/// [`write_atomically`] with the bytes written by `write`.
fn write_atomically_with(path: &Path, write: impl FnOnce(&mut File) -> io::Result<()>) -> anyhow::Result<()> {
    let tmp = partial_path(path)?;
    let mut file = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    write(&mut file).with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
