//! Generated gRPC types for `newapi.token.v1`.

pub mod newapi {
    pub mod token {
        pub mod v1 {
            tonic::include_proto!("newapi.token.v1");
        }
    }
}

pub use newapi::token::v1 as token_v1;

/// The encoded `FileDescriptorSet` of proto/, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("tokenbatch_descriptor");
