"""HTTP side of GraphQL: POST only, API-key authentication before any parsing, GraphiQL only in development.

Authentication happens at the HTTP layer, so a missing or wrong key is an HTTP 401 with a reason (and the query is
never parsed); authorisation (roles, shops) happens in resolvers.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from app.config import Settings
from app.errors import Unauthenticated
from app.graphql.context import Context
from app.graphql.schema import build_schema


class TaxreconGraphQL(GraphQL):
    async def get_context(self, request: Request, response: Response | None = None) -> Context:  # type: ignore[override]
        state = request.app.state
        return Context(request=request, settings=state.settings, database=state.database,
                       principal=getattr(request.state, "principal", None), box=state.box, jobs=state.jobs)


def _unauthenticated(reason: str) -> JSONResponse:
    body = {"errors": [{"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}]}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="taxrecon"'})


class GraphQLEndpoint:
    """ASGI endpoint in front of strawberry: authenticate POSTs, refuse GET outside development."""

    def __init__(self, graphql_app: GraphQL, *, development: bool) -> None:
        self.graphql_app = graphql_app
        self.development = development

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from app.auth import authenticate

        request = Request(scope, receive)
        if request.method == "POST":
            try:
                async with request.app.state.database.sessionmaker() as session:
                    principal = await authenticate(session, request.headers.get("authorization"))
                    await session.commit()
            except Unauthenticated as exc:
                await _unauthenticated(exc.message)(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
        elif request.method != "GET" or not self.development:
            body = graphql_error_body("GraphQL queries must be sent with POST", "METHOD_NOT_ALLOWED")
            await JSONResponse(body, status_code=405, headers={"Allow": "POST"})(scope, receive, send)
            return
        await self.graphql_app(scope, receive, send)


def graphql_routes(settings: Settings) -> list[Route]:
    development = settings.env == "development"
    graphql_app = TaxreconGraphQL(
        build_schema(settings),
        graphql_ide="graphiql" if development else None,
        allow_queries_via_get=False,
        multipart_uploads_enabled=False,
    )
    return [Route("/graphql", GraphQLEndpoint(graphql_app, development=development))]


def graphql_error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}

