//! CVAT XML 1.1 for images and for video to and from records.
