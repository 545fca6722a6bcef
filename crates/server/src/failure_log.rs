//! Internal errors are logged once, here, for both faces: the conversions to an HTTP answer or a gRPC
//! status only render them. Each answer to an internal error carries the error in its extensions (the HTTP
//! answer as [`InternalFailure`], the gRPC status as its source, which tonic keeps with the response), and
//! this layer writes the one log line after the handler has answered.
//!
//! The line holds the error's own text (the database's complaint), which never carries an access token or
//! a token key: those are bound parameters, never part of an error message.

use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tonic::{Code, Status};

use crate::error::ApiError;

/// The internal error an HTTP answer reports, for [`log_internal_errors`].
#[derive(Clone, Debug)]
pub struct InternalFailure(pub Arc<ApiError>);

/// The layer (an axum `from_fn` middleware) in front of every route, HTTP and gRPC alike.
pub async fn log_internal_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(ApiError::Internal(source)) = internal_error(&response) {
        tracing::error!(error = %source, "internal error");
    }
    response
}

fn internal_error(response: &Response) -> Option<&ApiError> {
    let extensions = response.extensions();
    if let Some(InternalFailure(error)) = extensions.get::<InternalFailure>() {
        return Some(error);
    }
    let status = extensions.get::<Status>()?;
    if status.code() != Code::Internal {
        return None;
    }
    std::error::Error::source(status)?.downcast_ref::<ApiError>()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tokenbatch_rules::Lang;
    use tokenbatch_store::StoreError;
    use tower::ServiceExt;

    use super::*;
    use crate::grpc_status::IntoStatus;
    use crate::http::error::HttpError;

    /// What the layer wrote, one string per log line.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn internal(what: &str) -> ApiError {
        ApiError::Internal(StoreError::Data(what.to_owned()))
    }

    #[tokio::test]
    async fn each_internal_error_is_logged_once_whichever_face_answers_it() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let router = Router::new()
            .route(
                "/http",
                get(|| async { HttpError::new(internal("http-broke"), Lang::En) }),
            )
            .route(
                "/grpc",
                get(|| async {
                    internal("grpc-broke")
                        .into_status(Lang::En)
                        .into_http::<Body>()
                }),
            )
            .route(
                "/refused",
                get(|| async { HttpError::new(ApiError::TokenNotFound, Lang::En) }),
            )
            .route(
                "/grpc-internal-without-error",
                get(|| async { Status::internal("tonic's own").into_http::<Body>() }),
            )
            .layer(axum::middleware::from_fn(log_internal_errors));
        for path in ["/http", "/grpc", "/refused", "/grpc-internal-without-error"] {
            let request = axum::http::Request::get(path).body(Body::empty()).unwrap();
            router.clone().oneshot(request).await.unwrap();
        }
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let logged: Vec<&str> = text.lines().collect();
        assert_eq!(logged.len(), 2, "{text}");
        assert!(logged[0].contains("internal error") && logged[0].contains("http-broke"));
        assert!(logged[1].contains("internal error") && logged[1].contains("grpc-broke"));
    }
}
