//! The web page (`app/web/`): the network, the gallery, the job board and an account view, in
//! plain HTML, CSS and JavaScript modules that a browser runs as served (no build step for the
//! user). The files are built into the binary; `--web-dir` (or `GLIA_WEB_DIR`) serves them from
//! a directory instead, for whoever edits the page. `/` is `index.html`, `/ui/FILE` the rest.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::{Component, Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Where the page's files come from.
#[derive(Clone, Debug, Default)]
pub struct WebAssets {
    /// A directory to read them from on each request; `None`: the built-in copies.
    pub dir: Option<PathBuf>,
}

fn content_type(path: &str) -> &'static str {
    match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("webmanifest") => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// A relative path with no `..`, no root and no hidden part, or `None`.
fn clean(path: &str) -> Option<&str> {
    let ok = !path.is_empty()
        && Path::new(path).components().all(|c| match c {
            Component::Normal(s) => !s.to_string_lossy().starts_with('.'),
            _ => false,
        });
    ok.then_some(path)
}

impl WebAssets {
    /// The file at `path` (relative to app/web), if there is one.
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        let path = clean(path)?;
        match &self.dir {
            Some(dir) => std::fs::read(dir.join(path)).ok(),
            None => ASSETS
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, b)| b.to_vec()),
        }
    }

    /// The answer for `path`: the file with its type, or 404. Browsers revalidate each load
    /// (a new gliad serves a new page at the same URL) with the file's hash as its ETag, so an
    /// unchanged file costs a 304 and no bytes.
    pub fn respond(&self, path: &str, if_none_match: Option<&str>) -> Response {
        use sha2::Digest;
        let Some(bytes) = self.get(path) else {
            return (StatusCode::NOT_FOUND, format!("no page file {path:?}\n")).into_response();
        };
        let etag = format!("\"{}\"", hex::encode(&sha2::Sha256::digest(&bytes)[..16]));
        let headers = [
            (header::CONTENT_TYPE, content_type(path).to_string()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
            (header::ETAG, etag.clone()),
        ];
        if if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        (headers, bytes).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_the_page_and_refuses_paths_out_of_it() {
        let w = WebAssets::default();
        let index = w.get("index.html").expect("index.html is built in");
        assert!(String::from_utf8_lossy(&index).contains("<html"));
        for bad in ["", "../Cargo.toml", "/etc/passwd", "ui/../../x", ".hidden"] {
            assert!(w.get(bad).is_none(), "{bad:?} must not be served");
        }
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        let first = w.respond("index.html", None);
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_string();
        assert_eq!(
            w.respond("index.html", Some(&etag)).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            w.respond("index.html", Some("\"other\"")).status(),
            StatusCode::OK
        );
    }
}
