//! Cosmos `PageRequest` handling over an ordered list of items.

use crate::context::Kv;
use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

/// The page size when a request names none, as in the SDK.
pub const DEFAULT_LIMIT: u64 = 100;

/// The page size a request asks (the default when none), refusing both a key and an offset.
fn limit_of(req: &PageRequest) -> AppResult<usize> {
    if !req.key.is_empty() && req.offset > 0 {
        return Err(AppError::invalid_request(
            "either offset or key may be set, not both",
        ));
    }
    Ok(if req.limit == 0 {
        DEFAULT_LIMIT
    } else {
        req.limit
    } as usize)
}

/// Picks one page of `items` (each with its store key, in key order). `key` starts the page at
/// that key (inclusive); otherwise `offset` skips items. `next_key` is the key of the first
/// item after the page.
pub fn paginate<T>(
    items: Vec<(Vec<u8>, T)>,
    req: Option<&PageRequest>,
) -> AppResult<(Vec<T>, PageResponse)> {
    let default = PageRequest::default();
    let req = req.unwrap_or(&default);
    let limit = limit_of(req)?;
    let total = items.len() as u64;
    let start = if req.key.is_empty() {
        (req.offset as usize).min(items.len())
    } else {
        items
            .iter()
            .position(|(k, _)| *k >= req.key)
            .unwrap_or(items.len())
    };
    let mut iter = items.into_iter().skip(start);
    let page: Vec<T> = iter.by_ref().take(limit).map(|(_, t)| t).collect();
    let next_key = iter.next().map(|(k, _)| k).unwrap_or_default();
    let total = if req.count_total { total } else { 0 };
    Ok((page, PageResponse { next_key, total }))
}

/// One page of a listing whose store keys are known (`keys`, in listing order) and whose
/// records are loaded only as the page needs them: `load` gives a key's record, or None to
/// leave it out (a filter). `key` starts the page at that store key; `offset` skips matching
/// records; `next_key` is the store key of the first record after the page. Records past the
/// page are never read, unless `count_total` asks for the total.
pub fn paginate_lazy<T>(
    keys: &[Vec<u8>],
    req: Option<&PageRequest>,
    mut load: impl FnMut(&[u8]) -> AppResult<Option<T>>,
) -> AppResult<(Vec<T>, PageResponse)> {
    let default = PageRequest::default();
    let req = req.unwrap_or(&default);
    let limit = limit_of(req)?;
    let start = if req.key.is_empty() {
        0
    } else {
        keys.iter()
            .position(|k| *k == req.key)
            .unwrap_or(keys.len())
    };
    let mut skip = req.offset;
    let mut page = Vec::new();
    let mut next_key = Vec::new();
    for k in keys.iter().skip(start) {
        let Some(t) = load(k)? else {
            continue;
        };
        if skip > 0 {
            skip = skip.saturating_sub(1);
        } else if page.len() < limit {
            page.push(t);
        } else {
            next_key = k.clone();
            break;
        }
    }
    let mut total = 0u64;
    if req.count_total {
        for k in keys {
            if load(k)?.is_some() {
                total = total.saturating_add(1);
            }
        }
    }
    Ok((page, PageResponse { next_key, total }))
}

/// One page of the records under `prefix`, read by iterating keys with a limit: only the
/// keys up to the page's end are read, and only the page's records are loaded. A record's
/// page key is its store key without its first `strip` bytes (a part of `prefix`), so a page
/// key names a record, not a position, and does not shift when records are added. `load`
/// gives a key's record, or None to leave it out. `count_total` alone reads every key.
pub fn paginate_prefix<K: Kv, T>(
    kv: &mut K,
    prefix: &str,
    strip: usize,
    req: Option<&PageRequest>,
    mut load: impl FnMut(&mut K, &str) -> AppResult<Option<T>>,
) -> AppResult<(Vec<T>, PageResponse)> {
    let default = PageRequest::default();
    let req = req.unwrap_or(&default);
    let limit = limit_of(req)?;
    let kept = prefix.get(..strip).ok_or_else(|| {
        AppError::internal(format!("page keys strip {strip} bytes of {prefix:?}"))
    })?;
    let mut start = if req.key.is_empty() {
        prefix.to_string()
    } else {
        let key = std::str::from_utf8(&req.key)
            .map_err(|_| AppError::invalid_request("pagination key is not a key of this list"))?;
        format!("{kept}{key}")
    };
    let mut skip = req.offset;
    let mut page = Vec::new();
    let mut next_key = Vec::new();
    // Keys come in batches of a page and one: enough for the page and the key after it
    // unless records are filtered out or skipped by an offset.
    let batch = limit.saturating_add(1);
    'pages: loop {
        let keys = kv.kv_scan_keys_from(prefix, &start, batch)?;
        let last = keys.len() < batch;
        for k in &keys {
            if page.len() == limit {
                next_key = k.as_bytes()[strip..].to_vec();
                break 'pages;
            }
            let Some(t) = load(kv, k)? else {
                continue;
            };
            if skip > 0 {
                skip = skip.saturating_sub(1);
            } else {
                page.push(t);
            }
        }
        match keys.last() {
            // The next batch starts just after the last key read.
            Some(k) if !last => start = format!("{k}\0"),
            _ => break,
        }
    }
    let total = if req.count_total {
        kv.kv_scan_keys(prefix)?.len() as u64
    } else {
        0
    };
    Ok((page, PageResponse { next_key, total }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_by_key_and_offset() {
        let items: Vec<(Vec<u8>, u32)> = (0..5u8).map(|i| (vec![i], i as u32)).collect();
        let req = PageRequest {
            limit: 2,
            count_total: true,
            ..Default::default()
        };
        let (p, r) = paginate(items.clone(), Some(&req)).unwrap();
        assert_eq!((p, r.next_key.clone(), r.total), (vec![0, 1], vec![2], 5));
        let req = PageRequest {
            key: r.next_key,
            limit: 2,
            ..Default::default()
        };
        assert_eq!(paginate(items.clone(), Some(&req)).unwrap().0, vec![2, 3]);
        let req = PageRequest {
            offset: 4,
            ..Default::default()
        };
        let (p, r) = paginate(items, Some(&req)).unwrap();
        assert_eq!((p, r.next_key.is_empty()), (vec![4], true));
    }

    #[test]
    fn lazy_pages_load_only_what_they_return() {
        let keys: Vec<Vec<u8>> = (0..10u8).rev().map(|i| vec![i]).collect();
        let mut loads = 0;
        let req = PageRequest {
            limit: 2,
            ..Default::default()
        };
        // Odd records only, newest (highest) first.
        let (p, r) = paginate_lazy(&keys, Some(&req), |k| {
            loads += 1;
            Ok((k[0] % 2 == 1).then_some(k[0]))
        })
        .unwrap();
        assert_eq!((p, r.next_key.clone()), (vec![9, 7], vec![5]));
        assert_eq!(loads, 5, "up to the first record after the page");
        let req = PageRequest {
            key: r.next_key,
            limit: 2,
            count_total: true,
            ..Default::default()
        };
        let (p, r) =
            paginate_lazy(&keys, Some(&req), |k| Ok((k[0] % 2 == 1).then_some(k[0]))).unwrap();
        assert_eq!((p, r.next_key, r.total), (vec![5, 3], vec![1], 5));
    }

    /// Pages over a prefix read keys with a limit, load only their records, and hand out
    /// page keys that name records: a record added before the page does not move it.
    #[test]
    fn prefix_pages_are_stable_and_read_only_their_keys() {
        use crate::context::ReadOnly;
        use crate::store::{KvRead, MemStore};
        use std::sync::atomic::{AtomicUsize, Ordering};
        /// A store that counts the keys its limited scans hand out.
        struct Counting(MemStore, AtomicUsize);
        impl KvRead for Counting {
            fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
                self.0.get(key)
            }
            fn scan(&self, prefix: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
                self.0.scan(prefix)
            }
            fn scan_keys_from(
                &self,
                prefix: &str,
                start: &str,
                limit: usize,
            ) -> anyhow::Result<Vec<String>> {
                let keys = self.0.scan_keys_from(prefix, start, limit)?;
                self.1.fetch_add(keys.len(), Ordering::Relaxed);
                Ok(keys)
            }
        }
        let mut store = Counting(MemStore::default(), AtomicUsize::new(0));
        for c in ["b", "d", "f", "h", "j"] {
            store.0 .0.insert(format!("x/{c}"), c.as_bytes().to_vec());
        }
        store.0 .0.insert("y/z".into(), b"z".to_vec());
        let page = |store: &Counting, key: Vec<u8>, offset: u64| {
            let req = PageRequest {
                key,
                offset,
                limit: 2,
                count_total: false,
                reverse: false,
            };
            let mut kv = ReadOnly(store);
            paginate_prefix(&mut kv, "x/", 2, Some(&req), |kv, k| kv.kv_get(k)).unwrap()
        };
        let (p, r) = page(&store, vec![], 0);
        assert_eq!(p, vec![b"b".to_vec(), b"d".to_vec()]);
        assert_eq!(
            r.next_key,
            b"f".to_vec(),
            "the page key is the key without x/"
        );
        assert_eq!(
            store.1.load(Ordering::Relaxed),
            3,
            "a page and the key after it, no more"
        );
        // A record added before the next page does not shift it.
        store.0 .0.insert("x/c".into(), b"c".to_vec());
        let (p, r) = page(&store, b"f".to_vec(), 0);
        assert_eq!(p, vec![b"f".to_vec(), b"h".to_vec()]);
        assert_eq!(r.next_key, b"j".to_vec());
        let (p, r) = page(&store, b"j".to_vec(), 0);
        assert_eq!((p, r.next_key.is_empty()), (vec![b"j".to_vec()], true));
        // Offsets skip records; the other prefix never shows.
        let (p, _) = page(&store, vec![], 4);
        assert_eq!(p, vec![b"h".to_vec(), b"j".to_vec()]);
    }
}
