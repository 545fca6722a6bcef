//! The load generator's clients: one HTTP/1.1 keep-alive connection driven by hyper directly (no pool, no
//! redirects, no decompression: as little client work as possible shares the two cores with the server), and
//! tonic's generated gRPC client. Every answer is checked: status, `success` and the number of rows changed.

use std::fmt;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_proto::token_v1::token_service_client::TokenServiceClient;
use tokio::net::TcpStream;
use tonic::transport::Channel;

use crate::fixture::{BoxError, User};

/// The three fields every benchmark batch writes.
pub const FIELDS: [&str; 3] = ["group", "expired_time", "remain_quota"];

/// The values of one benchmark batch; `round` makes every batch differ from the one before, so each one
/// really writes every row it names.
#[derive(Clone, Copy, Debug)]
pub struct Values {
    pub round: i64,
}

impl Values {
    pub fn group(self) -> &'static str {
        if self.round % 2 == 0 {
            "vip"
        } else {
            "default"
        }
    }

    /// In the future (2100 and later), so no status changes and no warning.
    pub fn expired_time(self) -> i64 {
        4_102_444_800 + self.round
    }

    pub fn remain_quota(self) -> i64 {
        1_000_000 + self.round
    }
}

/// The JSON body of a batch writing `values` to `ids`.
pub fn batch_body(ids: &[i64], values: Values) -> Bytes {
    let mut body = String::with_capacity(ids.len() * 7 + 160);
    body.push_str("{\"ids\":[");
    for (index, id) in ids.iter().enumerate() {
        if index > 0 {
            body.push(',');
        }
        body.push_str(&id.to_string());
    }
    body.push_str(&format!(
        "],\"group\":\"{}\",\"expired_time\":{},\"remain_quota\":{},\"update_fields\":[\"group\",\"expired_time\",\"remain_quota\"]}}",
        values.group(),
        values.expired_time(),
        values.remain_quota()
    ));
    Bytes::from(body)
}

/// The JSON body of a batch writing `values` to the tokens `filter` (a JSON object) selects, with the
/// `expected_count` the filter batch needs (docs/SPEC.md §9).
pub fn filter_batch_body(filter: &str, expected_count: usize, values: Values) -> Bytes {
    Bytes::from(format!(
        "{{\"filter\":{filter},\"expected_count\":{expected_count},\"group\":\"{}\",\"expired_time\":{},\"remain_quota\":{},\"update_fields\":[\"group\",\"expired_time\",\"remain_quota\"]}}",
        values.group(),
        values.expired_time(),
        values.remain_quota()
    ))
}

/// The JSON body of a batch adding `amount` to the `remain_quota` of `ids` (docs/SPEC.md §9's relative
/// change).
pub fn quota_add_body(ids: &[i64], amount: i64) -> Bytes {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    Bytes::from(format!(
        "{{\"ids\":[{}],\"update_fields\":[\"remain_quota\"],\"remain_quota\":{{\"add\":{amount}}}}}",
        ids.join(",")
    ))
}

/// The JSON body applying the plan a dry run answered (docs/SPEC.md §10).
pub fn plan_body(plan_id: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "plan_id": plan_id }).to_string())
}

/// One kept-alive HTTP/1.1 connection to the server.
pub struct HttpConnection {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
    authorization: String,
    user_id: String,
}

impl HttpConnection {
    pub async fn connect(addr: SocketAddr, user: &User) -> Result<HttpConnection, BoxError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(HttpConnection {
            sender,
            authority: addr.to_string(),
            authorization: format!("Bearer {}", user.access_token),
            user_id: user.id.to_string(),
        })
    }

    /// `PUT /api/token/batch`; Ok only for HTTP 200 with `success: true` and `data` = `expect_changed`.
    pub async fn put_batch(&mut self, body: Bytes, expect_changed: usize) -> Result<(), BoxError> {
        self.put_batch_with("", body, expect_changed)
            .await
            .map(drop)
    }

    /// `PUT /api/token/batch{query}` (`query` empty or from `?`), checked as [`Self::put_batch`] does; what
    /// else the answer holds.
    pub async fn put_batch_with(
        &mut self,
        query: &str,
        body: Bytes,
        expect_changed: usize,
    ) -> Result<Answer, BoxError> {
        let path = format!("/api/token/batch{query}");
        self.send("PUT", &path, body, expect_changed).await
    }

    /// `POST /api/token/batch/changes/{change_id}/revert` with an empty body, checked as [`Self::put_batch`]
    /// does (`data` is the number of tokens restored).
    pub async fn revert(
        &mut self,
        change_id: i64,
        expect_restored: usize,
    ) -> Result<Answer, BoxError> {
        let path = format!("/api/token/batch/changes/{change_id}/revert");
        self.send("POST", &path, Bytes::new(), expect_restored)
            .await
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Bytes,
        expect_changed: usize,
    ) -> Result<Answer, BoxError> {
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.authority)
            .header("authorization", &self.authorization)
            .header("new-api-user", &self.user_id)
            .header("content-type", "application/json")
            .body(Full::new(body))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let text = response.into_body().collect().await?.to_bytes();
        check_envelope(status.as_u16(), &text, expect_changed)
    }
}

/// What the benchmarks read of an answer. A 10 000-token answer with `results` is megabytes of JSON: they
/// are counted, never built into values, so that the client, which shares the two cores with the server,
/// does as little as it can (building them took the client longer than the server took to write them).
#[derive(Debug, Deserialize)]
pub struct Answer {
    success: bool,
    data: Option<u64>,
    /// How many per-token results the answer holds, when it holds them.
    pub results: Option<Count>,
    pub plan: Option<PlanAnswer>,
    /// The change set an applied batch was recorded as (docs/api.md, "History").
    pub change_id: Option<i64>,
}

/// The `plan` of a dry run's answer (docs/api.md, "Plans").
#[derive(Debug, Deserialize)]
pub struct PlanAnswer {
    pub plan_id: String,
    pub count: u64,
    pub changed: u64,
}

/// The length of a JSON array, whose elements are skipped unread.
#[derive(Debug)]
pub struct Count(pub usize);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Count, D::Error> {
        struct Counter;
        impl<'de> Visitor<'de> for Counter {
            type Value = Count;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("an array")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                let mut count = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    count += 1;
                }
                Ok(Count(count))
            }
        }
        deserializer.deserialize_seq(Counter)
    }
}

fn check_envelope(status: u16, text: &[u8], expect_changed: usize) -> Result<Answer, BoxError> {
    let excerpt = || String::from_utf8_lossy(&text[..text.len().min(300)]).into_owned();
    if status != 200 {
        return Err(format!("HTTP {status}: {}", excerpt()).into());
    }
    let answer: Answer = serde_json::from_slice(text)?;
    if !answer.success {
        return Err(format!("success is not true: {}", excerpt()).into());
    }
    if answer.data != Some(expect_changed as u64) {
        return Err(format!("expected data = {expect_changed}: {}", excerpt()).into());
    }
    Ok(answer)
}

/// A gRPC client on a connection of its own.
pub struct GrpcConnection {
    client: TokenServiceClient<Channel>,
    authorization: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    user_id: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
}

impl GrpcConnection {
    pub async fn connect(addr: SocketAddr, user: &User) -> Result<GrpcConnection, BoxError> {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
            .tcp_nodelay(true)
            .connect()
            .await?;
        Ok(GrpcConnection {
            client: TokenServiceClient::new(channel),
            authorization: format!("Bearer {}", user.access_token).parse()?,
            user_id: user.id.to_string().parse()?,
        })
    }

    /// `BatchUpdateTokens` in `view`; Ok only for an OK status with `changed` = `expect_changed` and, in the
    /// full view, a result per id.
    pub async fn batch(
        &mut self,
        ids: &[i64],
        values: Values,
        view: pb::BatchResultView,
        expect_changed: usize,
    ) -> Result<(), BoxError> {
        let mut request = tonic::Request::new(pb::BatchUpdateTokensRequest {
            ids: ids.to_vec(),
            patch: Some(pb::TokenPatch {
                group: Some(values.group().to_owned()),
                expired_time: Some(values.expired_time()),
                remain_quota: Some(values.remain_quota()),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: FIELDS.iter().map(|name| name.to_string()).collect(),
            }),
            view: view as i32,
            ..Default::default()
        });
        let metadata = request.metadata_mut();
        metadata.insert("authorization", self.authorization.clone());
        metadata.insert("new-api-user", self.user_id.clone());
        let response = self.client.batch_update_tokens(request).await?.into_inner();
        if response.changed != expect_changed as i64 {
            return Err(format!(
                "expected {expect_changed} changed, got {} changed, {} unchanged",
                response.changed, response.unchanged
            )
            .into());
        }
        let expect_results = match view {
            pb::BatchResultView::Counts => 0,
            _ => ids.len(),
        };
        if response.results.len() != expect_results {
            return Err(format!(
                "expected {expect_results} results, got {}",
                response.results.len()
            )
            .into());
        }
        Ok(())
    }
}
