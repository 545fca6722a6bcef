//! The batch-edit page (`web/`) served at `/`, embedded in the binary so one file is the whole product and
//! the page always matches the server it came with (its WASM rules module is built from the same crate).

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file and the URL path it is served at.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $file:literal, $content_type:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/", $file)),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

pub static ASSETS: &[Asset] = &[
    asset!("/", "index.html", HTML),
    asset!("/index.html", "index.html", HTML),
    asset!("/style.css", "style.css", "text/css; charset=utf-8"),
    asset!("/app.js", "app.js", JS),
    asset!("/api.js", "api.js", JS),
    asset!("/i18n.js", "i18n.js", JS),
    asset!("/format.js", "format.js", JS),
    asset!("/table.js", "table.js", JS),
    asset!("/form.js", "form.js", JS),
    asset!("/form-verdict.js", "form-verdict.js", JS),
    asset!("/field-controls.js", "field-controls.js", JS),
    asset!("/operations.js", "operations.js", JS),
    asset!("/edit-panel.js", "edit-panel.js", JS),
    asset!("/i18n-edit.js", "i18n-edit.js", JS),
    asset!("/messages.js", "messages.js", JS),
    asset!("/result.js", "result.js", JS),
    asset!("/confirm.js", "confirm.js", JS),
    asset!("/filters.js", "filters.js", JS),
    asset!("/columns.js", "columns.js", JS),
    asset!("/i18n-console.js", "i18n-console.js", JS),
    asset!("/batch.js", "batch.js", JS),
    asset!("/export.js", "export.js", JS),
    asset!("/views.js", "views.js", JS),
    asset!("/history.js", "history.js", JS),
    asset!("/history-words.js", "history-words.js", JS),
    asset!("/revert.js", "revert.js", JS),
    asset!("/undo.js", "undo.js", JS),
    asset!("/i18n-history.js", "i18n-history.js", JS),
    asset!("/i18n-tools.js", "i18n-tools.js", JS),
    asset!("/labels.js", "labels.js", JS),
    asset!("/token-reads.js", "token-reads.js", JS),
    asset!("/every-page.js", "every-page.js", JS),
    asset!("/sort-header.js", "sort-header.js", JS),
    asset!("/progress.js", "progress.js", JS),
    asset!("/preview-summary.js", "preview-summary.js", JS),
    asset!("/pkg/tokenbatch_wasm.js", "pkg/tokenbatch_wasm.js", JS),
    asset!(
        "/pkg/tokenbatch_wasm_bg.wasm",
        "pkg/tokenbatch_wasm_bg.wasm",
        "application/wasm"
    ),
];

/// Same-origin only; `wasm-unsafe-eval` is what compiling the rules module needs, and nothing else is
/// loosened, so an injected script from a token name could not run.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The page's routes; generic over the state so it merges into any router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS.iter().fold(Router::new(), |router, asset| {
        router.route(
            asset.path,
            get(move |headers: HeaderMap| async move { asset_response(asset, &headers) }),
        )
    })
}

/// The asset, or 304 when the browser's copy is current. `no-cache` makes browsers revalidate every load
/// (cheap with the ETag), so after an upgrade nobody keeps running an old rules module.
pub fn asset_response(asset: &'static Asset, headers: &HeaderMap) -> Response {
    let etag = etag(asset);
    let current = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    let mut response = if current {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.bytes,
        )
            .into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(etag) {
        response_headers.insert(header::ETAG, value);
    }
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if asset.content_type == HTML {
        response_headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        response_headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

/// A strong ETag from the content (FNV-1a, 64 bits), computed once per asset.
fn etag(asset: &'static Asset) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                let hash = asset
                    .bytes
                    .iter()
                    .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
                    });
                format!("\"{hash:016x}\"")
            })
            .collect()
    });
    let index = ASSETS
        .iter()
        .position(|candidate| std::ptr::eq(candidate, asset))
        .unwrap_or_default();
    tags.get(index).map_or("\"\"", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(path: &str) -> &'static Asset {
        ASSETS
            .iter()
            .find(|asset| asset.path == path)
            .unwrap_or_else(|| panic!("no asset at {path}"))
    }

    #[test]
    fn every_script_the_page_imports_is_embedded() {
        let index = std::str::from_utf8(asset("/").bytes).unwrap();
        assert!(index.contains("src=\"app.js\""), "index.html loads app.js");
        for asset in ASSETS.iter().filter(|asset| asset.content_type == JS) {
            let text = std::str::from_utf8(asset.bytes).unwrap();
            for line in text.lines().filter(|line| line.starts_with("import ")) {
                let Some(target) = line.split(['"', '\'']).nth(1) else {
                    continue;
                };
                let base = asset.path.rsplit_once('/').map_or("", |(dir, _)| dir);
                let resolved = format!("{base}/{}", target.trim_start_matches("./"));
                assert!(
                    ASSETS.iter().any(|candidate| candidate.path == resolved),
                    "{} imports {target}, which is not embedded",
                    asset.path
                );
            }
        }
    }

    #[test]
    fn content_types_and_security_headers() {
        let wasm = asset_response(asset("/pkg/tokenbatch_wasm_bg.wasm"), &HeaderMap::new());
        assert_eq!(wasm.status(), StatusCode::OK);
        assert_eq!(wasm.headers()[header::CONTENT_TYPE], "application/wasm");
        assert!(wasm
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .is_none());

        let page = asset_response(asset("/"), &HeaderMap::new());
        assert_eq!(page.headers()[header::CONTENT_TYPE], HTML);
        let policy = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(policy.contains("'wasm-unsafe-eval'") && !policy.contains("unsafe-inline"));
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(page.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[test]
    fn a_current_copy_gets_304_and_a_changed_one_the_file() {
        let script = asset("/app.js");
        let first = asset_response(script, &HeaderMap::new());
        let tag = first.headers()[header::ETAG].clone();
        assert_ne!(
            tag,
            asset_response(asset("/style.css"), &HeaderMap::new()).headers()[header::ETAG]
        );

        let mut revalidate = HeaderMap::new();
        revalidate.insert(header::IF_NONE_MATCH, tag.clone());
        let not_modified = asset_response(script, &revalidate);
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(not_modified.headers()[header::ETAG], tag);

        revalidate.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"0000\""));
        assert_eq!(asset_response(script, &revalidate).status(), StatusCode::OK);
    }
}
