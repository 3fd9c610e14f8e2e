//! YOLO dataset folders (detect, segment, oriented box, pose) to and from records.
