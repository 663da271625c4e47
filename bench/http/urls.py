"""The app's URLs plus one bench-only view; never part of a production URLconf."""

import json
import os
from pathlib import Path

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as app_urlpatterns

BODY = json.loads(Path(os.environ["BENCH_BODY_FILE"]).read_bytes())


class ConstantView(APIView):
    """The floor to compare with: DRF rendering a constant dict as large as the real response."""

    def get(self, request: Request) -> Response:
        return Response(BODY)


urlpatterns = [path("bench/constant", ConstantView.as_view()), *app_urlpatterns]
