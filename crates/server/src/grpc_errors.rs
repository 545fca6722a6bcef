//! Malformed gRPC requests are the caller's fault, and answered as such.
//!
//! tonic decodes a request before any handler runs, and answers every failure to do so with a bare
//! `INTERNAL` (status 13, no details): broken protobuf (prost's `DecodeError`), a broken frame (bad flag,
//! body ending mid-frame, no message at all), malformed gRPC-Web base64. Those calls never reached the
//! service, so this layer, between tonic-web and each gRPC service, recognizes such answers (a trailers-only
//! 13 without details, whose message is one of tonic's decoding failures) and answers `INVALID_ARGUMENT`
//! with a `google.rpc.ErrorInfo` instead, like the service's own refusals. The service's own `INTERNAL`
//! answers always carry details, so they are never relabelled. A body that is not gRPC at all (HTTP/2 with
//! another content type; tonic-web already answers 400 on HTTP/1) gets HTTP 415, as the gRPC protocol asks.
//!
//! One decoding failure stays `INTERNAL`: a message flagged compressed without a `grpc-encoding`, which
//! the gRPC compression spec requires to fail with `INTERNAL`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::http::{header, HeaderMap, HeaderValue, Request, Response, StatusCode};
use tokenbatch_rules::Lang;
use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::app::pick_lang;
use crate::grpc_status::ERROR_DOMAIN;

/// `ErrorInfo.reason` of a request whose protobuf message does not decode.
pub const MESSAGE_INVALID: &str = "grpc.message_invalid";
/// `ErrorInfo.reason` of a request whose gRPC (or gRPC-Web) framing is broken.
pub const FRAME_INVALID: &str = "grpc.frame_invalid";

/// tonic's messages for the decoding failures of a request, and what each one is.
const DECODING_FAILURES: [(&str, &str); 5] = [
    ("failed to decode Protobuf message", MESSAGE_INVALID),
    (
        "protocol error: received message with invalid compression flag",
        FRAME_INVALID,
    ),
    ("Unexpected EOF decoding stream", FRAME_INVALID),
    ("Missing request message", FRAME_INVALID),
    // tonic-web's failures to read a gRPC-Web request body: malformed base64 (`Invalid symbol …`, `malformed
    // base64 request`), an unexpected frame. Its failures on the answer's side never come back through here.
    ("tonic-web: ", FRAME_INVALID),
];

/// Wraps a gRPC service (see the module's documentation).
#[derive(Clone)]
pub struct MalformedRequests<S> {
    inner: S,
}

impl<S> MalformedRequests<S> {
    pub fn new(inner: S) -> MalformedRequests<S> {
        MalformedRequests { inner }
    }
}

impl<S> tower::Service<Request<Body>> for MalformedRequests<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let lang = lang_of(request.headers());
        if !speaks_grpc(request.headers()) {
            return Box::pin(std::future::ready(Ok(unsupported_media_type(lang))));
        }
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await?;
            Ok(relabel(response, lang))
        })
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    pick_lang(text("lang"), text("accept-language"))
}

/// `application/grpc`, `application/grpc+proto`, `application/grpc; …` (tonic-web has already turned
/// gRPC-Web into gRPC by now).
fn speaks_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"))
}

fn unsupported_media_type(lang: Lang) -> Response<Body> {
    let message = match lang {
        Lang::En => {
            "this path speaks gRPC only: the content type must be application/grpc (or gRPC-Web)"
        }
        Lang::ZhCn => "该路径仅支持 gRPC：Content-Type 须为 application/grpc（或 gRPC-Web）",
    };
    let body = serde_json::json!({
        "success": false,
        "message": message,
        "data": null,
        "code": "content_type.unsupported",
    });
    let mut response = Response::new(Body::new(body.to_string()));
    *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A decoding failure's answer as `INVALID_ARGUMENT` with an `ErrorInfo`; any other answer as it is.
fn relabel(response: Response<Body>, lang: Lang) -> Response<Body> {
    let headers = response.headers();
    let internal = headers.get(Status::GRPC_STATUS).map(HeaderValue::as_bytes) == Some(b"13");
    if !internal || headers.contains_key("grpc-status-details-bin") {
        return response;
    }
    let Some(status) = Status::from_header_map(headers) else {
        return response;
    };
    let Some(reason) = decoding_failure(status.message()) else {
        return response;
    };
    let cause = status.message();
    let message = match lang {
        Lang::En => format!("malformed gRPC request ({cause}); nothing was changed"),
        Lang::ZhCn => format!("gRPC 请求格式错误（{cause}），未做任何修改"),
    };
    let mut details = ErrorDetails::new();
    let metadata = HashMap::from([("cause".to_owned(), cause.to_owned())]);
    details.set_error_info(reason, ERROR_DOMAIN, metadata);
    Status::with_error_details(Code::InvalidArgument, message, details).into_http()
}

/// The `ErrorInfo.reason` of tonic's `message` if it reports a request that did not decode.
fn decoding_failure(message: &str) -> Option<&'static str> {
    DECODING_FAILURES
        .iter()
        .find(|(prefix, _)| message.starts_with(prefix))
        .map(|(_, reason)| *reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_decoding_failures_are_recognized() {
        // A varint whose last byte never comes.
        let truncated = <prost_types::Duration as prost::Message>::decode(&[0x08, 0xFF][..])
            .unwrap_err()
            .to_string();
        assert_eq!(decoding_failure(&truncated), Some(MESSAGE_INVALID));
        assert_eq!(
            decoding_failure("Unexpected EOF decoding stream."),
            Some(FRAME_INVALID)
        );
        assert_eq!(
            decoding_failure("internal error; nothing was changed"),
            None
        );
        assert_eq!(
            decoding_failure(
                "protocol error: received message with compressed-flag but no grpc-encoding was specified"
            ),
            None,
            "the compression spec requires INTERNAL"
        );
    }
}
