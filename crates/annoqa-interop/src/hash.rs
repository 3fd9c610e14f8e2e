//! Hash maps for the per-region work of readers and writers. std's SipHash took about 5 % of
//! converting a large Label Studio export (perf); foldhash is several times faster on short keys
//! and is still seeded per process, so crafted ids cannot aim at its buckets.

pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
