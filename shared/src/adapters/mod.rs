//! Everything that touches the AWS SDK, `reqwest` or the Lambda runtime: the only place
//! their types appear. Each adapter implements a port trait of the layers below.

pub mod dynamo;
pub mod jwks;
pub mod lambda;
pub mod oidc;
pub mod sdk;
pub mod secrets;
pub mod ses;
pub mod sts;

pub use dynamo::DynamoStore;
pub use jwks::HttpJwksFetch;
pub use sts::{AwsIdentity, presign_get_caller_identity, presign_with_nonce};
