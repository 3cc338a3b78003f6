//! Authorization: the normalized principal, deny reasons, which credential a request
//! carries, the one Origin rule, and the route rules. Pure logic: no AWS SDK types.

mod credential;
mod deny;
pub mod origin;
mod principal;
mod routes;
mod scope;

pub use credential::{Credential, SESSION_COOKIE, USER_COOKIE, classify};
pub(crate) use deny::or_deny;
pub use deny::{DenyReason, Verdict, deny};
pub use origin::AllowedOrigins;
pub use principal::{Principal, PrincipalType};
pub use routes::{
    AnyMarker, BadPath, PathProblem, Principals, RouteMatch, RouteRule, RouteRules, RouteTarget,
    RuleError, valid_route_prefix,
};
pub use scope::{Scope, UnknownScope};
