//! Cosmos `PageRequest` handling over an ordered list of items.

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
}
