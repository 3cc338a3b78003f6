//! The Lambda glue of an HTTP function: a [`Handler`] becomes a `lambda_http` service,
//! so no handler repeats that boilerplate.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, Request, service_fn};
use tracing::Instrument;

use crate::error::Result;
use crate::primitives::logging::request_span;
use crate::records::access::Function;
use crate::requests::body::check_size;

use super::response::{Response, error};

/// An HTTP function's logic. Expected failures are `Err(Error)`; [`respond`] turns
/// them into JSON responses, so handlers never build error bodies themselves.
pub trait Handler: Send + Sync + 'static {
    /// Which function this is: named on every log line of its requests.
    const FUNCTION: Function;

    fn handle(&self, req: Request) -> impl Future<Output = Result<Response>> + Send;
}

/// Runs the handler and maps errors to JSON (logging the code, never the request), in
/// the request's span (README "Logs").
pub async fn respond<H: Handler>(handler: &H, req: Request) -> http::Response<Body> {
    let span = span_of(H::FUNCTION, &req);
    answer(handler, req).instrument(span).await
}

/// The request span of an HTTP request: API Gateway's request id (else the Lambda
/// invocation's), the method and the matched route's path template (payload 2.0
/// `routeKey`, REST `resource`), or the path where API Gateway matched none.
fn span_of(function: Function, req: &Request) -> tracing::Span {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let id = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.as_deref(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.request_id.as_deref(),
        _ => None,
    };
    let template = super::context::route_template(req);
    let id = id.or_else(|| req.lambda_context_ref().map(|c| c.request_id.as_str()));
    let route = format!(
        "{} {}",
        req.method(),
        template.unwrap_or_else(|| req.uri().path())
    );
    request_span(function.name(), id, Some(&route))
}

async fn answer<H: Handler>(handler: &H, req: Request) -> http::Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // The size limit holds on every route, also where the handler reads no body.
    let outcome = match check_size(req.body().as_ref().len()) {
        Ok(()) => handler.handle(req).await,
        Err(e) => Err(e),
    };
    let resp = match outcome {
        Ok(r) => r,
        Err(e) => {
            if e.status().is_server_error() {
                tracing::error!(%method, %path, code = e.code(), error = %e.detail(), "request failed");
            } else {
                tracing::info!(%method, %path, code = e.code(), "request rejected");
            }
            error(&e)
        }
    };
    crate::primitives::metrics::log_totals();
    resp.map(Body::from)
}

/// The handler as a `lambda_http` service (also used by the local gateway).
pub fn service<H: Handler>(
    handler: Arc<H>,
) -> impl lambda_http::Service<
    Request,
    Response = http::Response<Body>,
    Error = Infallible,
    Future: Send,
> + Clone {
    service_fn(move |req: Request| {
        let handler = handler.clone();
        async move { Ok::<_, Infallible>(respond(&*handler, req).await) }
    })
}

/// The caller's address as the gateway saw it (`requestContext`, never
/// `X-Forwarded-For`, which the caller writes); `unknown` without one.
pub fn source_ip(req: &Request) -> String {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
        _ => None,
    }
    .unwrap_or_else(|| "unknown".to_owned())
}

/// Serves the handler on the Lambda runtime.
pub async fn run<H: Handler>(handler: H) -> std::result::Result<(), lambda_http::Error> {
    lambda_http::run(service(Arc::new(handler))).await
}
