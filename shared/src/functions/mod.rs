//! One module per Lambda function. A function module never imports another.

#[cfg(feature = "aws")]
pub mod admin;
pub mod authorizer;
#[cfg(feature = "aws")]
pub mod token;
pub mod widget;
