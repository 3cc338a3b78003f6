//! One module per Lambda function, generic over the port traits it needs (the AWS
//! adapters are plugged in by `crate::adapters::lambda`). A function module never
//! imports another.

#[cfg(feature = "aws")]
pub mod admin;
pub mod authorizer;
#[cfg(feature = "aws")]
pub mod rotate;
#[cfg(feature = "aws")]
pub mod token;
#[cfg(feature = "aws")]
pub mod users;
#[cfg(feature = "aws")]
pub mod widget;
