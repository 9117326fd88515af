//! Cosmos `PageRequest` handling over an ordered list of items.

use crate::error::{AppError, AppResult};
use glia_proto::cosmos::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

/// The page size when a request names none, as in the SDK.
pub const DEFAULT_LIMIT: u64 = 100;

/// Picks one page of `items` (each with its store key, in key order). `key` starts the page at
/// that key (inclusive); otherwise `offset` skips items. `next_key` is the key of the first
/// item after the page.
pub fn paginate<T>(
    items: Vec<(Vec<u8>, T)>,
    req: Option<&PageRequest>,
) -> AppResult<(Vec<T>, PageResponse)> {
    let default = PageRequest::default();
    let req = req.unwrap_or(&default);
    if !req.key.is_empty() && req.offset > 0 {
        return Err(AppError::invalid_request(
            "either offset or key may be set, not both",
        ));
    }
    let total = items.len() as u64;
    let limit = if req.limit == 0 {
        DEFAULT_LIMIT
    } else {
        req.limit
    } as usize;
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
}
