//! Tests of the yolo reader and writer.
