import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from analytics.models import Site
from sharing.models import ShareToken
from sharing.services import create_share_token


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"owner{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    owner = factory.SubFactory(UserFactory)
    domain = factory.Sequence(lambda n: f"site{n}.example")
    nickname = ""
    timezone = "UTC"


class ShareTokenFactory(factory.django.DjangoModelFactory):
    """Builds tokens through the real service; the raw token is on `.raw_token` of the result."""

    class Meta:
        model = ShareToken

    site = factory.SubFactory(SiteFactory)
    label = factory.Sequence(lambda n: f"Share link {n}")
    allowed_periods: list[str] = []
    expires_at = None
    password = ""
    hidden_sections: list[str] = []
    frame_origins: list[str] = []
    language = ""

    class Params:
        revoked = factory.Trait(revoked_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1)))
        expired = factory.Trait(expires_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1)))

    @classmethod
    def _create(cls, model_class, *args, revoked_at=None, **kwargs):
        """Made by the service, then given any past expiry or revocation directly (the service refuses those)."""
        issued = create_share_token(
            site=kwargs["site"],
            now=timezone.now(),
            label=kwargs.get("label", ""),
            allowed_periods=kwargs.get("allowed_periods", []),
            created_by=kwargs.get("created_by"),
            password=kwargs.get("password", ""),
            hidden_sections=kwargs.get("hidden_sections", []),
            frame_origins=kwargs.get("frame_origins", []),
            language=kwargs.get("language", ""),
        )
        share_token = issued.share_token
        ShareToken.objects.filter(pk=share_token.pk).update(revoked_at=revoked_at, expires_at=kwargs.get("expires_at"))
        share_token.refresh_from_db()
        share_token.raw_token = issued.raw_token
        return share_token
