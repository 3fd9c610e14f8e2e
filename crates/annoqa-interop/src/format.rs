//! The formats `annoqa convert` reads (`--from`) and writes (`--to`).

use std::fmt;
use std::str::FromStr;

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// annoqa's own JSON Lines records.
    Annoqa,
    /// Label Studio's JSON export (a list of tasks or one task object).
    LabelStudio,
    Coco,
    /// A YOLO dataset folder (detect, segment, oriented box, pose).
    Yolo,
    /// CVAT XML 1.1, for images or video.
    Cvat,
}

/// An output format: every input format, plus crowd-kit's long CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Annoqa,
    LabelStudio,
    Coco,
    Yolo,
    Cvat,
    /// `task,worker,label` rows for choice controls.
    CrowdKit,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "annoqa" => Ok(Format::Annoqa),
            "ls" => Ok(Format::LabelStudio),
            "coco" => Ok(Format::Coco),
            "yolo" => Ok(Format::Yolo),
            "cvat" => Ok(Format::Cvat),
            other => Err(format!("unknown input format `{other}`: expected annoqa, ls, coco, yolo or cvat")),
        }
    }
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "crowdkit" => Ok(OutputFormat::CrowdKit),
            other => match other.parse::<Format>() {
                Ok(f) => Ok(f.into()),
                Err(_) => {
                    Err(format!("unknown output format `{other}`: expected annoqa, ls, coco, yolo, cvat or crowdkit"))
                }
            },
        }
    }
}

impl From<Format> for OutputFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Annoqa => OutputFormat::Annoqa,
            Format::LabelStudio => OutputFormat::LabelStudio,
            Format::Coco => OutputFormat::Coco,
            Format::Yolo => OutputFormat::Yolo,
            Format::Cvat => OutputFormat::Cvat,
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputFormat::Annoqa => "annoqa",
            OutputFormat::LabelStudio => "ls",
            OutputFormat::Coco => "coco",
            OutputFormat::Yolo => "yolo",
            OutputFormat::Cvat => "cvat",
            OutputFormat::CrowdKit => "crowdkit",
        })
    }
}
