//! Tests of the cvat reader and writer.
