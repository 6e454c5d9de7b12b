"""Settings: the database from DATABASE_URL, as plumb (and most deployments) give it."""
import os
from urllib.parse import parse_qs, unquote, urlparse

SECRET_KEY = "interop-tests-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "shop"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_url = urlparse(os.environ.get("DATABASE_URL", "postgresql://localhost/shop"))
_query = parse_qs(_url.query)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": unquote(_url.username or ""),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _query.get("host", [_url.hostname or ""])[0],
        "PORT": _query.get("port", [str(_url.port or "")])[0],
    }
}
