//! Authorization: the normalized principal, deny reasons, which credential a request
//! carries, the one Origin rule, the route rules and the permission schemas. Pure logic: no AWS SDK types.

pub mod apps;
mod credential;
pub mod decision;
mod deny;
pub mod origin;
pub mod permissions;
mod principal;
mod routes;
mod scope;

pub use credential::{Credential, SESSION_COOKIE, USER_COOKIE, classify};
pub(crate) use deny::or_deny;
pub use deny::{DenyReason, Verdict, deny};
pub use origin::AllowedOrigins;
pub use principal::{Principal, PrincipalType};
pub use routes::{
    APP_ID_HEADER, AnyMarker, AppSource, BadPath, PathProblem, Principals, RouteMatch, RouteRule,
    RouteRules, RouteTarget, RuleError, valid_route_prefix,
};
pub use scope::{Scope, UnknownScope};
