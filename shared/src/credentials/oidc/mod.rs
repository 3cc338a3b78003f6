//! The OpenID Connect relying party (issue 22): the outbound URL rule, the flow's
//! derived secrets, discovery, id_token verification and the provider port.

pub mod discovery;
pub mod flow;
pub mod id_token;
pub mod party;
pub mod url;

#[cfg(test)]
pub(crate) mod testkit;
