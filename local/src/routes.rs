//! The API's routes: the one table the local gateway serves. A test parses
//! `template.yaml` and fails if the two drift apart.

/// The Lambda function serving a route (the template's logical id names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Token,
    Widget,
    Admin,
}

impl Function {
    /// The function's logical id in `template.yaml`.
    pub fn logical_id(self) -> &'static str {
        match self {
            Function::Token => "TokenFunction",
            Function::Widget => "WidgetFunction",
            Function::Admin => "AdminFunction",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
    /// Whether the default (Lambda) authorizer runs first (`Authorizer: NONE` if not).
    pub authorizer: bool,
}

const fn route(
    method: &'static str,
    path: &'static str,
    function: Function,
    authorizer: bool,
) -> Route {
    Route {
        method,
        path,
        function,
        authorizer,
    }
}

pub const ROUTES: &[Route] = &[
    route("POST", "/token", Function::Token, false),
    route("POST", "/authorize", Function::Token, false),
    route("GET", "/.well-known/jwks.json", Function::Token, false),
    route(
        "GET",
        "/.well-known/oauth-authorization-server",
        Function::Token,
        false,
    ),
    route("GET", "/whoami", Function::Token, true),
    // Demo routes: they echo the principal, so the scopes can be seen working.
    route("GET", "/display", Function::Token, true),
    route("GET", "/display/rules", Function::Token, true),
    route("POST", "/comments", Function::Token, true),
    route("GET", "/stats", Function::Token, true),
    route("POST", "/widget/generateToken", Function::Widget, true),
    route("POST", "/widget/login/token", Function::Widget, true),
    route("POST", "/widget/loginToken", Function::Widget, false),
    route("POST", "/widget/logout", Function::Widget, true),
    // Admin routes authenticate inside the admin function: no authorizer.
    route("POST", "/admin/signin", Function::Admin, false),
    route("POST", "/admin/signout", Function::Admin, false),
    route("GET", "/admin/keys", Function::Admin, false),
    route("POST", "/admin/keys", Function::Admin, false),
    route("POST", "/admin/keys/disable", Function::Admin, false),
    route("POST", "/admin/keys/delete", Function::Admin, false),
    route("GET", "/admin/clients", Function::Admin, false),
    route("POST", "/admin/clients", Function::Admin, false),
    route("POST", "/admin/clients/disable", Function::Admin, false),
    route("GET", "/admin/sessions", Function::Admin, false),
    route("POST", "/admin/sessions/revoke", Function::Admin, false),
    route(
        "POST",
        "/admin/sessions/revoke-user",
        Function::Admin,
        false,
    ),
    route("POST", "/admin/signing-keys/rotate", Function::Admin, false),
];

/// The route serving `method path`, if any.
pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.method == method && r.path == path)
}
