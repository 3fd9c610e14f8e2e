//! Sorting, with one copy of the sort in WebAssembly.
//!
//! Each `sort_by` with its own closure, and each element type, is a copy of the standard
//! library's sort: about 4.5 KB of the npm module each, and the QA engine sorts in some twenty
//! places. In WebAssembly these functions sort a list of indices with the one shared copy
//! ([`sort_indices`]), the comparison called through a reference, then move the elements into
//! that order; natively each is the standard library's function it is named after, inlined as
//! before.

use std::cmp::Ordering;

/// Sorts `order` (indices into some list) by `compare`, stably, as `order.sort_by` would.
#[inline]
pub(crate) fn sort_indices(order: &mut [usize], compare: impl Fn(usize, usize) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    sort_indices_shared(order, &compare);
    #[cfg(not(target_arch = "wasm32"))]
    order.sort_by(|&a, &b| compare(a, b));
}

/// `v.sort_by(compare)`: stable.
#[inline]
pub(crate) fn sort_by<T>(v: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    sort_shared(v, &compare);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(compare);
}

/// `v.sort_by_key(key)`: stable.
#[inline]
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    #[cfg(target_arch = "wasm32")]
    sort_shared(v, &|a: &T, b: &T| key(a).cmp(&key(b)));
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by_key(key);
}

/// `v.sort_unstable()`, for types whose equal values cannot be told apart (numbers, strings,
/// tuples of them), so that a stable sort gives the same result.
#[inline]
pub(crate) fn sort_unstable<T: Ord>(v: &mut [T]) {
    #[cfg(target_arch = "wasm32")]
    sort_shared(v, &T::cmp);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_unstable();
}

/// `v.sort_unstable_by_key(key)`, where no two elements have the same key, so that a stable
/// sort gives the same result.
#[inline]
pub(crate) fn sort_unstable_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    #[cfg(target_arch = "wasm32")]
    sort_shared(v, &|a: &T, b: &T| key(a).cmp(&key(b)));
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_unstable_by_key(key);
}

/// The element that `v.select_nth_unstable_by(index, compare)` puts at `index` (the one a sort
/// would), with `v` reordered. `index` must be within `v`.
#[inline]
pub(crate) fn nth_by<T>(v: &mut [T], index: usize, compare: impl Fn(&T, &T) -> Ordering) -> &mut T {
    #[cfg(target_arch = "wasm32")]
    {
        sort_shared(v, &compare);
        &mut v[index]
    }
    #[cfg(not(target_arch = "wasm32"))]
    v.select_nth_unstable_by(index, compare).1
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn sort_indices_shared(order: &mut [usize], compare: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// A stable sort of `v` through [`sort_indices_shared`].
#[cfg(target_arch = "wasm32")]
fn sort_shared<T>(v: &mut [T], compare: &dyn Fn(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..v.len()).collect();
    sort_indices_shared(&mut order, &|i, j| compare(&v[i], &v[j]));
    permute(v, order);
}

/// Moves `order[k]`, for every `k`, to `k`: follows each cycle of the permutation, swapping
/// along it, and marks the places filled.
#[cfg(any(target_arch = "wasm32", test))]
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..v.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start || from == at {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    /// The permutation step, run natively: the same as `sort_by` for every order of a list
    /// with repeated keys (stability included).
    #[test]
    fn shared_sort_matches_std() {
        let mut state = 7u64;
        for len in 0..40 {
            let list: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((state >> 60) as u8, i)
                })
                .collect();
            let mut expected = list.clone();
            expected.sort_by_key(|e| e.0);
            let mut got = list.clone();
            let mut order: Vec<usize> = (0..got.len()).collect();
            order.sort_by(|&i, &j| got[i].0.cmp(&got[j].0));
            super::permute(&mut got, order);
            assert_eq!(got, expected, "{list:?}");
        }
    }
}
