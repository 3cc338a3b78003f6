//! The API's routes: the one table the local gateway serves and `docs/openapi.json` is
//! generated from (`make openapi`). Each row names its function, its operation id, what
//! it reads and answers (the serde types the handlers use) and its security. Tests fail
//! if the table, `template.yaml`, the default route rules and the committed spec drift
//! apart (docs/ARCHITECTURE.md, "The API description").

use gatehouse::answers::admin::*;
use gatehouse::answers::apps::{
    AccessExplained, App, AppListing, GrantAdded, GrantList, GrantRemoved, MyApps,
};
use gatehouse::answers::idps::{IdentityLinked, IdpDeleted, IdpListing, SsoProviders};
use gatehouse::answers::invites::{CreatedUser, CredentialsReset, InviteAccepted};
use gatehouse::answers::settings::{LoginInForce, SettingsInForce, SignupInForce};
use gatehouse::answers::token::{ServerMetadata, TokenAnswer};
use gatehouse::answers::users::{
    EmailVerified, PasswordChanged, PasswordReset, ResetRequested, SignedInUser, SignupAccepted,
    SignupPageConfig, UserSignedOut,
};
use gatehouse::answers::widget::*;
use gatehouse::answers::{Caller, ErrorBody, GatewayMessage};
use gatehouse::authz::PrincipalType::{self, *};
use gatehouse::authz::Scope;
use gatehouse::credentials::idps::Provider;
use gatehouse::credentials::keys::JwkSet;
use gatehouse::credentials::oidc::party::ProbeReport;
use gatehouse::credentials::password::PasswordRules;
use gatehouse::requests::admin::*;
use gatehouse::requests::apps::{
    AddGrant, AppQuery, ExplainAccess, NewApp, RemoveGrant, TransferApp, UpdateApp,
};
use gatehouse::requests::form::TokenForm;
use gatehouse::requests::idps::{IdpBody, IdpRef, LinkIdentity, TestIdp};
use gatehouse::requests::invites::{AcceptInvite, CreateUser, ResetCredentials};
use gatehouse::requests::settings::{SetLogin, SetSignup};
use gatehouse::requests::signup::{ForgotPassword, ResetPassword, Signup, VerifyEmail};
use gatehouse::requests::sso::SsoRedeem;
use gatehouse::requests::users::{ChangePassword, UserSigninRequest};
use gatehouse::requests::widget::{LoginTokenRequest, SecurityTokenRequest, TempTokenRequest};

/// The Lambda function serving a route (the template's logical id names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Token,
    Widget,
    Admin,
    Users,
}

impl Function {
    /// The function's logical id in `template.yaml`.
    pub fn logical_id(self) -> &'static str {
        match self {
            Function::Token => "TokenFunction",
            Function::Widget => "WidgetFunction",
            Function::Admin => "AdminFunction",
            Function::Users => "UsersFunction",
        }
    }
}

/// A schema and its name, as utoipa collects them.
#[cfg(feature = "openapi")]
pub type NamedSchema = (
    String,
    utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
);

/// A serde type of the API. Its schema (with the `openapi` feature) comes from the type
/// itself; without the feature the row still names the type, so a rename breaks the
/// build.
#[derive(Clone, Copy)]
pub struct Schema {
    /// The Rust type's path (for messages).
    pub type_name: fn() -> &'static str,
    /// Adds the type's schema and those it refers to; answers the type's schema name.
    #[cfg(feature = "openapi")]
    pub register: fn(&mut Vec<NamedSchema>) -> String,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str((self.type_name)())
    }
}

#[cfg(feature = "openapi")]
fn register<T: utoipa::ToSchema>(
    out: &mut Vec<(
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    )>,
) -> String {
    let name = T::name().into_owned();
    out.push((name.clone(), T::schema()));
    T::schemas(out);
    name
}

/// The [`Schema`] of a type.
macro_rules! schema {
    ($t:ty) => {
        Schema {
            type_name: std::any::type_name::<$t>,
            #[cfg(feature = "openapi")]
            register: register::<$t>,
        }
    };
}

/// Refusals every function answers with (`{"error", "message"}`).
pub const ERROR_BODY: Schema = schema!(ErrorBody);
/// API Gateway's own answers (`{"message"}`).
pub const GATEWAY_MESSAGE: Schema = schema!(GatewayMessage);

/// The API description itself: a JSON object (OpenAPI 3.1).
pub const OPENAPI_DOCUMENT: Schema = Schema {
    type_name: || "OpenAPI document",
    #[cfg(feature = "openapi")]
    register: |out| {
        let name = "OpenApiDocument".to_owned();
        let object = utoipa::openapi::schema::ObjectBuilder::new()
            .description(Some("An OpenAPI 3.1 document (this one)"))
            .build();
        out.push((name.clone(), object.into()));
        name
    },
};

/// A page or asset of the admin console: text (HTML, JavaScript, CSS).
pub const TEXT: Schema = Schema {
    type_name: || "text",
    #[cfg(feature = "openapi")]
    register: |out| {
        let name = "Text".to_owned();
        let text = utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A page or asset of the admin console"))
            .build();
        out.push((name.clone(), text.into()));
        name
    },
};

/// What a route reads besides headers.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// Nothing (a body is ignored, but counts against the size limit).
    Nothing,
    /// A JSON body of this type; `required: false` where an empty body reads as `{}`.
    Json { body: Schema, required: bool },
    /// An `application/x-www-form-urlencoded` body (`/token`).
    Form(Schema),
    /// Any query parameters, passed on (`/authorize`).
    AnyQuery,
    /// These query parameters (the properties of the type), each optional and at most
    /// once; any other is a 400.
    Query(Schema),
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// No credential (`Authorizer: NONE`).
    Public,
    /// `/token`: the client authenticates itself (HTTP Basic or the form) or presents a
    /// host code (`Authorizer: NONE`).
    TokenClient,
    /// The Lambda authorizer decides: these principals (`None`: any credential it
    /// accepts) holding this scope. Must equal the default route rule.
    Authorizer {
        principals: Option<&'static [PrincipalType]>,
        scope: Option<Scope>,
    },
    /// The admin session cookie, and `x-csrf-token` on writes; checked by the admin
    /// function (`Authorizer: NONE`).
    Admin,
    /// The admin session cookie without `x-csrf-token` (the console's resume, which
    /// needs the issuer's `Origin` instead).
    AdminCookie,
}

/// A header a route's answer sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sets {
    /// `Set-Cookie` with this cookie.
    Cookie(&'static str),
    /// `Location` (a redirect).
    Location,
    /// `Cache-Control: public, max-age=<this>` instead of `no-store`.
    PublicCache(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub security: Security,
    pub input: Input,
    /// The success status and its body (`None`: no body).
    pub ok: (u16, Option<Schema>),
    /// The success body's media type.
    pub media: &'static str,
    /// Headers the success answer sets.
    pub sets: &'static [Sets],
    /// Refusals of this route beyond those every route of its kind has (see
    /// `crate::openapi`, with the `openapi` feature).
    pub refusals: &'static [u16],
    /// Changes state another request depends on: marked `x-gatehouse-destructive` in
    /// the spec, so the contract run calls it last.
    pub destructive: bool,
}

impl Route {
    /// Whether the default (Lambda) authorizer runs first (`Authorizer: NONE` if not).
    pub fn authorizer(&self) -> bool {
        matches!(self.security, Security::Authorizer { .. })
    }

    const fn new(
        method: &'static str,
        path: &'static str,
        function: Function,
        operation_id: &'static str,
        summary: &'static str,
    ) -> Route {
        Route {
            method,
            path,
            function,
            operation_id,
            summary,
            security: Security::Public,
            input: Input::Nothing,
            ok: (200, None),
            media: "application/json",
            sets: &[],
            refusals: &[],
            destructive: false,
        }
    }

    const fn security(mut self, security: Security) -> Route {
        self.security = security;
        self
    }

    const fn admin(self) -> Route {
        self.security(Security::Admin)
    }

    const fn authorizer_rule(
        self,
        principals: Option<&'static [PrincipalType]>,
        scope: Option<Scope>,
    ) -> Route {
        self.security(Security::Authorizer { principals, scope })
    }

    const fn json(mut self, body: Schema) -> Route {
        self.input = Input::Json {
            body,
            required: true,
        };
        self
    }

    /// A JSON body an empty body stands in for (`{}`).
    const fn optional_json(mut self, body: Schema) -> Route {
        self.input = Input::Json {
            body,
            required: false,
        };
        self
    }

    const fn input(mut self, input: Input) -> Route {
        self.input = input;
        self
    }

    const fn ok(mut self, status: u16, body: Option<Schema>) -> Route {
        self.ok = (status, body);
        self
    }

    const fn answers(self, body: Schema) -> Route {
        self.ok(200, Some(body))
    }

    /// A console page or asset of this media type (text).
    const fn asset(mut self, media: &'static str) -> Route {
        self.media = media;
        self.ok(200, Some(TEXT))
    }

    const fn sets(mut self, sets: &'static [Sets]) -> Route {
        self.sets = sets;
        self
    }

    const fn refusals(mut self, refusals: &'static [u16]) -> Route {
        self.refusals = refusals;
        self
    }

    const fn destructive(mut self) -> Route {
        self.destructive = true;
        self
    }
}

use Function::{Admin, Token, Users, Widget};

const SSO_COOKIE: Sets = Sets::Cookie(gatehouse::functions::users::SSO_COOKIE);
const WIDGET_COOKIE: Sets = Sets::Cookie(gatehouse::authz::SESSION_COOKIE);
const USER_COOKIE: Sets = Sets::Cookie(gatehouse::authz::USER_COOKIE);
const ADMIN_COOKIE: Sets = Sets::Cookie(gatehouse::functions::admin::ADMIN_COOKIE);
/// `JWKS_MAX_AGE` (default 300 s) caps the discovery documents' caching.
const DISCOVERY_CACHE: Sets = Sets::PublicCache("JWKS_MAX_AGE (default 300)");

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::new("POST", "/token", Token, "token",
        "Issue an access token: client credentials (HTTP Basic or the form) or a host authorization code")
        .security(Security::TokenClient).input(Input::Form(schema!(TokenForm<'static>)))
        .answers(schema!(TokenAnswer)).refusals(&[401, 429, 503]),
    Route::new("POST", "/authorize", Token, "authorize",
        "Redirect (307) to the host's sign-in page (AUTH_URL) with the query string; 404 when the code flow is off")
        .input(Input::AnyQuery).ok(307, None).sets(&[Sets::Location]).refusals(&[404]),
    Route::new("GET", "/.well-known/jwks.json", Token, "jwks",
        "The signing keys' public JWKs (next, current, previous)")
        .answers(schema!(JwkSet)).sets(&[DISCOVERY_CACHE]).refusals(&[503]),
    Route::new("GET", "/.well-known/oauth-authorization-server", Token, "authorizationServerMetadata",
        "RFC 8414 authorization server metadata")
        .answers(schema!(ServerMetadata)).sets(&[DISCOVERY_CACHE]),
    Route::new("GET", "/openapi.json", Token, "openapi",
        "This API description (OpenAPI 3.1)")
        .answers(OPENAPI_DOCUMENT).sets(&[Sets::PublicCache("300")]),
    Route::new("GET", "/whoami", Token, "whoami",
        "The caller as the authorizer normalized it")
        .authorizer_rule(None, None).answers(schema!(Caller)).refusals(&[401]),
    // Demo routes: they echo the principal, so the scopes can be seen working.
    Route::new("GET", "/display", Token, "display", "Demo: needs scope client; echoes the caller")
        .authorizer_rule(None, Some(Scope::Client)).answers(schema!(Caller)).refusals(&[401]),
    Route::new("GET", "/display/rules", Token, "displayRules", "Demo: needs scope client; echoes the caller")
        .authorizer_rule(None, Some(Scope::Client)).answers(schema!(Caller)).refusals(&[401]),
    Route::new("POST", "/comments", Token, "postComment", "Demo: needs scope client; echoes the caller")
        .authorizer_rule(None, Some(Scope::Client)).answers(schema!(Caller)).refusals(&[401]),
    Route::new("GET", "/stats", Token, "stats", "Demo survey data: needs scope data; echoes the caller")
        .authorizer_rule(None, Some(Scope::Data)).answers(schema!(Caller)).refusals(&[401]),
    // The demo app route (README "Applications and sharing"): an app-bearing rule.
    Route::new("GET", "/apps/{app_id}/data", Token, "appData",
        "Demo: one application's data; needs scope client and access to the app; echoes the caller and the decided app context")
        .authorizer_rule(None, Some(Scope::Client)).answers(schema!(Caller)).refusals(&[401]),
    Route::new("POST", "/widget/generateToken", Widget, "widgetGenerateToken",
        "Mode 1: a one-time temp token the browser redeems for a session cookie")
        .authorizer_rule(Some(&[ApiKey]), Some(Scope::WidgetIssue)).json(schema!(TempTokenRequest))
        .answers(schema!(TempTokenAnswer)).refusals(&[401, 503]),
    Route::new("POST", "/widget/login/token", Widget, "widgetSecurityToken",
        "Mode 3: a widget security token (aud widget) bound to the embedding origins")
        .authorizer_rule(Some(&[ApiKey]), Some(Scope::WidgetIssue)).json(schema!(SecurityTokenRequest))
        .answers(schema!(SecurityTokenAnswer)).refusals(&[401, 503]),
    Route::new("POST", "/widget/loginToken", Widget, "widgetLoginToken",
        "Mode 1: redeem a temp token (body or Authorization) from an allowed Origin for the session cookie")
        .optional_json(schema!(LoginTokenRequest)).answers(schema!(WidgetSessionAnswer))
        .sets(&[WIDGET_COOKIE]).refusals(&[401, 403, 503]),
    Route::new("POST", "/widget/logout", Widget, "widgetLogout",
        "End the widget session and clear its cookie")
        .authorizer_rule(Some(&[WidgetSession]), None).answers(schema!(LoggedOut))
        .sets(&[WIDGET_COOKIE]).refusals(&[401, 503]).destructive(),
    // People (README "People").
    Route::new("POST", "/users/signin", Users, "userSignin",
        "Sign in with a username or e-mail and password, from an allowed Origin; 429 while locked out")
        .json(schema!(UserSigninRequest)).answers(schema!(SignedInUser)).sets(&[USER_COOKIE])
        .refusals(&[401, 403, 429, 503]),
    // Single sign-on (README "Single sign-on"): no authorizer; the browser visits the
    // first three at the top level.
    Route::new("GET", "/sso/providers", Users, "ssoProviders",
        "The enabled identity providers: id and display name")
        .answers(schema!(SsoProviders)).refusals(&[503]),
    Route::new("GET", "/sso/start", Users, "ssoStart",
        "Start signing in at a provider (idp, return_to): 302 to its authorization endpoint with a __Host-gh_sso cookie; a refusal is a 302 to USER_UI_URL#sso_error=<code>")
        .input(Input::AnyQuery).ok(302, None).sets(&[Sets::Location, SSO_COOKIE]).refusals(&[409, 503]),
    Route::new("GET", "/sso/callback", Users, "ssoCallback",
        "The provider's redirect: 302 to USER_UI_URL#sso_code=<one-time code>&return_to=<path>, or #sso_error=<code>")
        .input(Input::AnyQuery).ok(302, None).sets(&[Sets::Location, SSO_COOKIE]).refusals(&[409]),
    Route::new("POST", "/users/sso/redeem", Users, "ssoRedeem",
        "Redeem the callback's one-time code from an allowed Origin for a user session (400: unknown, used or expired)")
        .json(schema!(SsoRedeem)).answers(schema!(SignedInUser)).sets(&[USER_COOKIE])
        .refusals(&[403, 503]),
    Route::new("GET", "/users/password-policy", Users, "userPasswordPolicy",
        "The rules a new password must meet")
        .answers(schema!(PasswordRules)),
    Route::new("GET", "/users/me", Users, "userMe", "The signed-in user")
        .authorizer_rule(Some(&PrincipalType::USERS), None).answers(schema!(SignedInUser))
        .refusals(&[401, 503]),
    Route::new("POST", "/users/signout", Users, "userSignout",
        "End the user session and clear its cookie")
        .authorizer_rule(Some(&PrincipalType::USERS), None).answers(schema!(UserSignedOut))
        .sets(&[USER_COOKIE]).refusals(&[401, 503]).destructive(),
    Route::new("POST", "/users/password/change", Users, "userChangePassword",
        "Change the password: a wrong current one counts toward the lockout; every other session is signed out")
        .authorizer_rule(Some(&PrincipalType::USERS), None).json(schema!(ChangePassword))
        .answers(schema!(PasswordChanged)).refusals(&[401, 403, 429, 503]).destructive(),
    // Applications and sharing (README "Applications and sharing").
    Route::new("GET", "/users/me/apps", Users, "userMyApps",
        "The apps the signed-in user may open: public, granted and owned, each once")
        .authorizer_rule(Some(&PrincipalType::USERS), None).answers(schema!(MyApps))
        .refusals(&[401, 503]),
    Route::new("POST", "/apps", Users, "appCreate",
        "Create an app owned by the signed-in creator (409 app_exists for a taken id)")
        .authorizer_rule(Some(&[Creator]), None).json(schema!(NewApp)).answers(schema!(App))
        .refusals(&[401, 403, 409, 503]),
    Route::new("POST", "/apps/update", Users, "appUpdate",
        "Rename an app the creator owns or change its visibility")
        .authorizer_rule(Some(&[Creator]), None).json(schema!(UpdateApp)).answers(schema!(App))
        .refusals(&[401, 403, 404, 503]),
    Route::new("POST", "/apps/grants/add", Users, "appGrantAdd",
        "Share an app the creator owns with one user, by id or by verified e-mail, with the widget permission schemas; by e-mail to an address without an account, an end-user invite is mailed when e-mail is configured and sign-up admits the address (invited: true, never the link)")
        .authorizer_rule(Some(&[Creator]), None).json(schema!(AddGrant)).answers(schema!(GrantAdded))
        .refusals(&[401, 403, 404, 409, 503]),
    Route::new("POST", "/apps/grants/remove", Users, "appGrantRemove",
        "Remove a user's grant on an app the creator owns")
        .authorizer_rule(Some(&[Creator]), None).json(schema!(RemoveGrant)).answers(schema!(GrantRemoved))
        .refusals(&[401, 403, 404, 503]),
    Route::new("GET", "/apps/grants", Users, "appGrants",
        "The grants of an app the creator owns")
        .authorizer_rule(Some(&[Creator]), None).input(Input::Query(schema!(AppQuery)))
        .answers(schema!(GrantList)).refusals(&[401, 403, 404, 503]),
    // Invites (README "People").
    Route::new("POST", "/users/invite/accept", Users, "userAcceptInvite",
        "Set the password of an invited user with its invite token, from an allowed Origin; signs nothing in")
        .json(schema!(AcceptInvite)).answers(schema!(InviteAccepted))
        .refusals(&[403, 503]).destructive(),
    // Sign-up (README "People", sign-up).
    Route::new("POST", "/users/signup", Users, "userSignup",
        "Sign up from an allowed Origin: the same 202 whether or not the address has an account; a link is e-mailed when verification is on")
        .json(schema!(Signup)).ok(202, Some(schema!(SignupAccepted)))
        .refusals(&[403, 409, 429, 503]).destructive(),
    Route::new("GET", "/users/signup/config", Users, "userSignupConfig",
        "What a sign-up page shows: the mode, the admitted domains, verification, the password rules")
        .answers(schema!(SignupPageConfig)).refusals(&[403, 503]),
    Route::new("POST", "/users/verify-email", Users, "userVerifyEmail",
        "Activate a pending account with the token of its e-mailed link, from an allowed Origin; signs nothing in")
        .json(schema!(VerifyEmail)).answers(schema!(EmailVerified))
        .refusals(&[403, 503]).destructive(),
    // Password reset (README "People", password reset).
    Route::new("POST", "/users/password/forgot", Users, "userForgotPassword",
        "Ask for a password reset link from an allowed Origin: the same 202 whether or not the address has an account; a link is e-mailed to an active account only")
        .json(schema!(ForgotPassword)).ok(202, Some(schema!(ResetRequested)))
        .refusals(&[403, 409, 429, 503]).destructive(),
    Route::new("POST", "/users/password/reset", Users, "userResetPassword",
        "Set a new password with the token of an e-mailed reset link, from an allowed Origin: every session is signed out; signs nothing in")
        .json(schema!(ResetPassword)).answers(schema!(PasswordReset))
        .refusals(&[403, 503]).destructive(),
    // Admin routes authenticate inside the admin function: no authorizer.
    Route::new("POST", "/admin/signin", Admin, "adminSignin",
        "Sign in with an IAM user's access key or a presigned STS request; membership of ADMIN_GROUP_NAME decides")
        .json(schema!(SigninBody)).answers(schema!(SignedIn)).sets(&[ADMIN_COOKIE])
        .refusals(&[401, 403, 429, 503]),
    // The admin console (README "Admin console"): public assets on the API's origin.
    Route::new("GET", "/admin/console", Admin, "adminConsole", "The admin console's page")
        .asset("text/html"),
    Route::new("GET", "/admin/console/app.js", Admin, "adminConsoleScript", "The admin console's script")
        .asset("text/javascript"),
    Route::new("GET", "/admin/console/app.css", Admin, "adminConsoleStyle", "The admin console's style")
        .asset("text/css"),
    Route::new("GET", "/admin/console/sigv4.js", Admin, "adminConsoleSigner",
        "The admin console's SigV4 signer (the STS request signed in the browser)")
        .asset("text/javascript"),
    Route::new("GET", "/admin/console/config", Admin, "adminConsoleConfig",
        "What the console needs to sign a presigned STS request: server id, STS endpoint, region, group; nothing secret")
        .answers(schema!(ConsoleConfig)),
    Route::new("POST", "/admin/console/resume", Admin, "adminConsoleResume",
        "After a reload: a new CSRF token for the admin cookie's session (the issuer's Origin required; no CSRF header)")
        .security(Security::AdminCookie).answers(schema!(SignedIn)).destructive(),
    Route::new("POST", "/admin/console/handoff", Admin, "adminConsoleHandoff",
        "A one-time code (60 s) that opens a session of this administrator in the console")
        .admin().answers(schema!(Handoff)),
    Route::new("POST", "/admin/console/redeem", Admin, "adminConsoleRedeem",
        "Redeem a hand-off code for an admin session (the issuer's Origin required; no CSRF header)")
        .json(schema!(RedeemHandoff)).answers(schema!(SignedIn)).sets(&[ADMIN_COOKIE])
        .refusals(&[503]),
    Route::new("POST", "/admin/signout", Admin, "adminSignout", "End the admin session")
        .admin().answers(schema!(SignedOut)).sets(&[ADMIN_COOKIE]).destructive(),
    Route::new("GET", "/admin/keys", Admin, "adminListKeys", "Every API key's metadata")
        .admin().answers(schema!(KeyList)),
    Route::new("POST", "/admin/keys", Admin, "adminCreateKey", "A new API key, shown once")
        .admin().json(schema!(NewKey)).answers(schema!(CreatedKey)),
    Route::new("POST", "/admin/keys/disable", Admin, "adminDisableKey", "Disable an API key")
        .admin().json(schema!(KeyId)).answers(schema!(KeyDisabled)).refusals(&[404]).destructive(),
    Route::new("POST", "/admin/keys/delete", Admin, "adminDeleteKey", "Delete an API key")
        .admin().json(schema!(KeyId)).answers(schema!(KeyDeleted)).refusals(&[404]).destructive(),
    Route::new("GET", "/admin/clients", Admin, "adminListClients", "Every OAuth client (never a secret)")
        .admin().answers(schema!(ClientListing)),
    Route::new("POST", "/admin/clients", Admin, "adminAddClient", "A new OAuth client, its secret shown once")
        .admin().optional_json(schema!(NewClient)).answers(schema!(CreatedClient)),
    Route::new("POST", "/admin/clients/disable", Admin, "adminDisableClient", "Disable an OAuth client")
        .admin().json(schema!(ClientId)).answers(schema!(ClientDisabled)).refusals(&[404]).destructive(),
    Route::new("GET", "/admin/sessions", Admin, "adminListSessions", "The live widget and admin sessions")
        .admin().answers(schema!(SessionListing)),
    Route::new("POST", "/admin/sessions/revoke", Admin, "adminRevokeSession", "Revoke one session")
        .admin().json(schema!(RevokeSession)).answers(schema!(Revoked)).refusals(&[404]).destructive(),
    Route::new("POST", "/admin/sessions/revoke-user", Admin, "adminRevokeUserSessions",
        "Revoke every session of one user")
        .admin().json(schema!(RevokeUser)).answers(schema!(Revoked)).destructive(),
    Route::new("POST", "/admin/signing-keys/rotate", Admin, "adminRotateSigningKeys",
        "Rotate the signing key ring (409 when too early, unless forced)")
        .admin().optional_json(schema!(Rotate)).answers(schema!(Rotated)).refusals(&[409]).destructive(),
    // Invites (README "People").
    Route::new("POST", "/admin/users", Admin, "adminCreateUser",
        "An invited user and its invite link, shown once, or (delivery email) mailed to the user (409 when the name or e-mail is taken, USER_UI_URL is not set, or EMAIL_FROM for delivery email; 503 when the mail fails, the user written)")
        .admin().json(schema!(CreateUser)).answers(schema!(CreatedUser)).refusals(&[409, 503]),
    Route::new("POST", "/admin/users/reset-credentials", Admin, "adminResetUserCredentials",
        "Remove a user's password and sessions and kill its old invite link; a new link, shown once or (delivery email) mailed to the user")
        .admin().json(schema!(ResetCredentials)).answers(schema!(CredentialsReset))
        .refusals(&[404, 409, 503]).destructive(),
    // People, managed by administrators (README "People").
    Route::new("GET", "/admin/users", Admin, "adminListUsers",
        "One page (50 index entries) of the users whose username or e-mail starts with q, through gsi1")
        .admin().input(Input::Query(schema!(UserSearchQuery))).answers(schema!(UserListing)),
    Route::new("POST", "/admin/users/disable", Admin, "adminDisableUser",
        "Disable a user; its sessions end in the same transaction")
        .admin().json(schema!(UserId)).answers(schema!(UserStatusChanged)).refusals(&[404]).destructive(),
    Route::new("POST", "/admin/users/enable", Admin, "adminEnableUser",
        "Enable a user: active, or invited while it has no password")
        .admin().json(schema!(UserId)).answers(schema!(UserStatusChanged)).refusals(&[404]),
    Route::new("POST", "/admin/users/delete", Admin, "adminDeleteUser",
        "Delete a user, its sessions, and its username and e-mail (free for a new user)")
        .admin().json(schema!(UserId)).answers(schema!(UserDeleted)).refusals(&[404]).destructive(),
    // Applications (README "Applications and sharing").
    Route::new("GET", "/admin/apps", Admin, "adminListApps", "Every application")
        .admin().answers(schema!(AppListing)),
    Route::new("POST", "/admin/apps/transfer", Admin, "adminTransferApp",
        "Give an app to another creator (so its owner can be deleted)")
        .admin().json(schema!(TransferApp)).answers(schema!(App)).refusals(&[404, 409]).destructive(),
    Route::new("POST", "/admin/apps/explain", Admin, "adminExplainAppAccess",
        "How the authorizer decides a user's request on a route key for an app: the deciding rule, visibility, grant, outcome and the context the backend would receive (same ROUTE_RULES, consistent reads)")
        .admin().json(schema!(ExplainAccess)).answers(schema!(AccessExplained)).refusals(&[404]),
    Route::new("POST", "/admin/users/link-identity", Admin, "adminLinkIdentity",
        "Link a provider's subject to a user: it signs in as that user (409: the identity or the user's slot at the provider is taken)")
        .admin().json(schema!(LinkIdentity)).answers(schema!(IdentityLinked)).refusals(&[404, 409]),
    // Runtime settings (README "Admin API").
    Route::new("GET", "/admin/settings", Admin, "adminGetSettings",
        "The sign-up and login settings in force, each stored or the default (read from the table, uncached)")
        .admin().answers(schema!(SettingsInForce)),
    Route::new("POST", "/admin/settings/signup", Admin, "adminSetSignupSettings",
        "Write the sign-up settings whole (409 email_not_configured: verification on without EMAIL_FROM)")
        .admin().json(schema!(SetSignup)).answers(schema!(SignupInForce)).refusals(&[409]).destructive(),
    Route::new("POST", "/admin/settings/login", Admin, "adminSetLoginSettings",
        "Write the login settings (409 no_sign_in_method: password login off needs an enabled identity provider)")
        .admin().json(schema!(SetLogin)).answers(schema!(LoginInForce)).refusals(&[409]),
    // Identity providers (README "Single sign-on").
    Route::new("GET", "/admin/idps", Admin, "adminListIdps",
        "Every OpenID Connect provider (client secrets as their last four characters only)")
        .admin().answers(schema!(IdpListing)),
    Route::new("POST", "/admin/idps", Admin, "adminAddIdp",
        "Add a provider; its client secret goes to IDP_SECRETS only (409 idp_exists, too_many_idps)")
        .admin().json(schema!(IdpBody)).answers(schema!(Provider)).refusals(&[409]),
    Route::new("POST", "/admin/idps/update", Admin, "adminUpdateIdp",
        "Change the fields given of a provider (409 no_sign_in_method: the last enabled one with password login off)")
        .admin().json(schema!(IdpBody)).answers(schema!(Provider)).refusals(&[404, 409]).destructive(),
    Route::new("POST", "/admin/idps/disable", Admin, "adminDisableIdp",
        "Disable a provider (409 no_sign_in_method: the last enabled one with password login off)")
        .admin().json(schema!(IdpRef)).answers(schema!(Provider)).refusals(&[404, 409]).destructive(),
    Route::new("POST", "/admin/idps/delete", Admin, "adminDeleteIdp",
        "Delete a provider and its client secret (409 no_sign_in_method: the last enabled one with password login off)")
        .admin().json(schema!(IdpRef)).answers(schema!(IdpDeleted)).refusals(&[404, 409]).destructive(),
    Route::new("POST", "/admin/idps/test", Admin, "adminTestIdp",
        "Discovery and the JWKS of a stored provider (id) or an issuer, fetched now; never a grant, never a condition of saving")
        .admin().json(schema!(TestIdp)).answers(schema!(ProbeReport)).refusals(&[404]),
];

/// A route's match of a request path: what API Gateway passes as `pathParameters`.
pub type PathParams = Vec<(String, String)>;

/// The route serving `method path`, as an HTTP API selects it: an exact route first,
/// else the one whose literal segments match with the most literals (case-sensitive);
/// a `{name}` segment takes one non-empty segment, percent-decoded once, and never a
/// value that decodes to contain `/` or to `.`/`..` (docs/DECISIONS.md, "The local
/// gateway's `{param}` routes").
pub fn find(method: &str, path: &str) -> Option<(&'static Route, PathParams)> {
    if let Some(exact) = ROUTES.iter().find(|r| r.method == method && r.path == path) {
        return Some((exact, Vec::new()));
    }
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    ROUTES
        .iter()
        .filter(|r| r.method == method && r.path.contains('{'))
        .filter_map(|r| Some((r, bind(r.path, &segments)?)))
        .max_by_key(|(r, _)| r.path.split('/').filter(|s| !s.starts_with('{')).count())
}

/// The parameters of `template` bound to the request's `segments`, if it matches.
fn bind(template: &str, segments: &[&str]) -> Option<PathParams> {
    let parts: Vec<&str> = template.strip_prefix('/')?.split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (part, seg) in parts.iter().zip(segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                let value = percent_decode(seg)?;
                if value.is_empty() || value.contains('/') || value == "." || value == ".." {
                    return None;
                }
                params.push((name.to_owned(), value));
            }
            None if part == seg => {}
            None => return None,
        }
    }
    Some(params)
}

/// `%XX` decoded once; `None` for a bad escape or a result that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
