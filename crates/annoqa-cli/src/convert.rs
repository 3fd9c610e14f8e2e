//! `annoqa convert`: other tools' annotation files to and from annoqa's records, through
//! annoqa-interop. This file only reads arguments and files and writes files.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use annoqa_core::model::TaskSpec;
use annoqa_interop::convert::{self, Finished, Input, StreamWriter};
use annoqa_interop::{Diagnostics, DirTree, Format, OutputFile, OutputFormat, ReadOptions};
use anyhow::{anyhow, bail, Context};

use crate::output::{
    check_new_or_empty, write_atomically, write_atomically_with, write_folder, write_in_background, EarlyFile,
    EarlyFolder, PIECE,
};

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
    // A folder that would refuse the output refuses it before the input is read.
    if let (OutputFormat::Yolo, Some(dir)) = (args.to, &args.output) {
        check_new_or_empty(dir)?;
    }
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
    Unwritten(Finished, Option<Early>),
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
    // A COCO file's start, or a YOLO dataset's label files, are written while the rest is
    // read, unless `--strict` may refuse them.
    let mut early = match &args.output {
        Some(path) if args.to == OutputFormat::Coco && !args.strict => EarlyFile::create(path).map(Early::File),
        Some(dir) if args.to == OutputFormat::Yolo && !args.strict => EarlyFolder::create(dir).map(Early::Folder),
        _ => None,
    };
    let read = annoqa_interop::ls::for_each_part(file, opts, &parts, &mut |part| {
        writer.append(part);
        match &mut early {
            Some(Early::File(file)) => file.write(&mut writer),
            Some(Early::Folder(folder)) => folder.write(&mut writer),
            None => {}
        }
    });
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

/// What was written of the output while the input was read.
enum Early {
    File(EarlyFile),
    Folder(EarlyFolder),
}

/// A failed conversion leaves no temporary file or folder behind.
fn discard(early: Option<Early>) {
    match early {
        Some(Early::File(file)) => {
            let _ = std::fs::remove_file(&file.tmp);
        }
        Some(Early::Folder(folder)) => folder.discard(),
        None => {}
    }
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// One file goes to `-o` or standard output; a folder's files (YOLO) under `-o`, which must be
/// new or empty so nothing already there is overwritten.
fn write_output(args: &ConvertArgs, output: Output) -> anyhow::Result<()> {
    let files = match output {
        Output::Unwritten(finished, Some(early)) => match (early, &args.output) {
            (Early::File(file), Some(path)) => return file.finish(path, finished),
            (Early::Folder(folder), Some(dir)) => return folder.finish(dir, finished),
            (early, None) => {
                discard(Some(early));
                finished.into_files()
            }
        },
        Output::Unwritten(finished, None) if finished.is_one_file() => return write_one_file(args, finished),
        Output::Unwritten(finished, None) => finished.into_files(),
        Output::Files(files) => files,
    };
    let one_file = matches!(files.as_slice(), [single] if single.path.is_empty());
    match (one_file, &args.output) {
        (true, None) => {
            let bytes = files.first().map_or(&[][..], |single| &single.bytes);
            io::stdout().lock().write_all(bytes).context("cannot write to standard output")
        }
        (true, Some(path)) => write_atomically(path, files.first().map_or(&[][..], |single| &single.bytes)),
        (false, None) => bail!("--to {} writes a folder: name it with -o DIR", args.to),
        (false, Some(dir)) => write_folder(dir, files),
    }
}

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
