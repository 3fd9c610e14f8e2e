//! crowd-kit's long CSV (`task,worker,label`) from the records' choice regions.
