//! Everything that touches the AWS SDK: the only place its types appear.

pub mod sdk;
