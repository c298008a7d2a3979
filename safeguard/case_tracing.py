"""Temporal tracing shaped for cases: the case is one trace, and each human step its own.

The SDK's interceptor puts an update's handling in the workflow's trace, with a link to the
caller. A case lives for years, so each step would pile onto the intake trace. Here an
update's handling, and the activities and events it causes, continue the *caller's* trace
instead, linked back to the case, so one staff action reads as one trace from its request to
its notifications. Alarms (timers) stay in the case's trace. No span creates a command, so
histories are unchanged.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind
from temporalio import worker
from temporalio.contrib.opentelemetry import TracingInterceptor, TracingWorkflowInboundInterceptor

# The SDK's own attach/detach helper: it copes with workflow tasks hopping threads.
from temporalio.contrib.opentelemetry._context import attached_context


class CaseWorkflowInboundInterceptor(TracingWorkflowInboundInterceptor):
    """Runs each update handler in its caller's trace, linked to the case's trace."""

    async def handle_update_handler(self, input: worker.HandleUpdateInput) -> Any:
        """Handle the update under the caller's span context."""
        header = input.headers.get(self.header_key)
        if not header:
            return await super().handle_update_handler(input)
        carrier = self.payload_converter.from_payloads([header])[0]
        context = self._set_on_context(self.text_map_propagator.extract(carrier))
        with attached_context(context):
            self._completed_span(
                f"HandleUpdate:{input.update}",
                link_context_carrier=self._load_workflow_context_carrier(),
                kind=SpanKind.SERVER,
            )
            return await self.next.handle_update_handler(input)


class CaseTracingInterceptor(TracingInterceptor):
    """`TracingInterceptor` with case-shaped update traces (client, activities, workflows)."""

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        """The SDK's extern functions, with the case-aware inbound interceptor."""
        super().workflow_interceptor_class(input)
        return CaseWorkflowInboundInterceptor
