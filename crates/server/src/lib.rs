//! tokenbatch: bulk editing of a new-api gateway's tokens, served as gRPC (`newapi.token.v1.TokenService`)
//! and as new-api's HTTP/JSON routes (`PUT /api/token/batch`, list, search, get) on one port.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod connections;
pub mod cors;
pub mod error;
pub mod failure_log;
pub mod group_options;
pub mod groups;
pub mod grpc;
pub mod grpc_errors;
pub mod grpc_filter;
pub mod grpc_history;
pub mod grpc_request;
pub mod grpc_status;
pub mod health;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod request_id;
pub mod retention;
pub mod seed;
pub mod serve;
pub mod sort;
pub mod token_cache;
pub mod web;

pub use serve::{start, RunningServer};
