"""Settings for the SEC Portal, read from the environment (see .env.example).

One settings module for every environment: production is the default (DEBUG off, SECRET_KEY
required); `make run` and `make test` set their own values explicitly.
"""

import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
# Writing or checking migrations serves nobody and signs nothing: it may run without a key.
_KEYLESS_COMMANDS = {"makemigrations"}
if not SECRET_KEY:
    if DEBUG or (len(sys.argv) > 1 and sys.argv[1] in _KEYLESS_COMMANDS):
        SECRET_KEY = "insecure-development-key-never-use-in-production-" + "x" * 20
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production settings refuse to start without it; "
            "set SECRET_KEY in the environment (or DEBUG=true for local development)."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "secportal",
    "parties",
    "modifications",
    "news",
    "panel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # NUL characters and broken unicode (400), oversized bodies (413): before sessions and CSRF.
    "secportal.middleware.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "secportal.middleware.RequireMFAMiddleware",
]

ROOT_URLCONF = "secportal.urls"
WSGI_APPLICATION = "secportal.wsgi.application"

_loaders = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "secportal.context_processors.portal",
            ],
            # Cached loaders outside DEBUG; plain loaders while developing.
            "loaders": _loaders if DEBUG else [("django.template.loaders.cached.Loader", _loaders)],
        },
    },
    # The rows of the hottest lists, rendered from the Django templates with {% jinja %}
    # (docs/decisions.md); Jinja2 keeps its compiled templates, and rereads them with DEBUG on.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "OPTIONS": {"environment": "secportal.jinja.environment"},
    },
]

# Database: SQLite is only the zero-setup default of `make run`; production and CI use
# PostgreSQL through DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# The cache may use its own Redis database (CACHE_URL), so clearing it never touches the broker.
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
_cache_timeout = env.float("SECPORTAL_CACHE_TIMEOUT", default=0.5)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "secportal.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            # A hung Redis costs one timeout, then the breaker stops asking (secportal/cache.py).
            "OPTIONS": {"socket_connect_timeout": _cache_timeout, "socket_timeout": _cache_timeout},
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="secportal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "parties.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# django-allauth: email login, no public sign-up (accounts are requested and approved).
ACCOUNT_ADAPTER = "parties.adapters.AccountAdapter"
ACCOUNT_FORMS = {"reset_password": "parties.forms.PasswordResetForm"}  # the page never looks the address up
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[SEC Portal] "
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# A person is told by email when their password, email address or second factor changes, so a
# change they did not make (someone else in their account) does not go unnoticed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Setting a password from the emailed link (a new account's first, or a reset) ends signed in.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# A sixth wrong password for one account within five minutes is refused.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,5/5m/key",
    "reset_password": "20/m/ip,3/5m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SEC Portal"
# Staff and committee members must set up TOTP before using the portal (the demo turns it off).
SECPORTAL_REQUIRE_MFA = env.bool("SECPORTAL_REQUIRE_MFA", default=True)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Plain storage where nothing has been collected (development, tests); hashed, compressed files
# served by whitenoise in production.
_manifest = not DEBUG and env.bool("STATIC_MANIFEST", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _manifest
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email (Django 6.1 MAILERS): SMTP in production from EMAIL_URL, e.g.
# smtp+tls://user:password@smtp.example.org:587 (default smtp://localhost:25); the console with DEBUG on.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_email_options = {}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _email_options = {
        "host": _email.get("EMAIL_HOST") or "localhost",
        "port": int(_email.get("EMAIL_PORT") or 25),
        "username": _email.get("EMAIL_HOST_USER") or "",
        "password": _email.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        "timeout": env.int("EMAIL_TIMEOUT", default=20),
    }
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SEC Portal <noreply@secportal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where people write to SECAS: shown in every page's footer (with the helpdesk hours).
SECPORTAL_CONTACT_EMAIL = env.str("SECPORTAL_CONTACT_EMAIL", default="secas@gemserv.com")

# Seconds before a broker that accepts connections but does not answer is given up on. A publish is
# tried twice (PUBLISH_RETRY_POLICY), so a hung broker costs a change about twice this: 0.3 s keeps
# it well under a second (test_outbox_faults.py), and Redis answers a publish in well under 1 ms.
# A worker's wait for tasks (BRPOP) runs in its event loop and is not bound by it; its other calls
# (acknowledgements) are, and the tasks are written to be safe to run again if one is lost.
SECPORTAL_BROKER_SOCKET_TIMEOUT = env.float("SECPORTAL_BROKER_SOCKET_TIMEOUT", default=0.3)

# Celery: Redis in production and tests; a broker that needs no server in the demo.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = BASE_DIR / "var" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
else:
    # Socket timeouts: a Redis that accepts connections but hangs must not hold up a change's
    # publish (or a worker) for ever; beat sends what a failed publish did not.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_timeout": SECPORTAL_BROKER_SOCKET_TIMEOUT,
        "socket_connect_timeout": SECPORTAL_BROKER_SOCKET_TIMEOUT,
        "socket_keepalive": True,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None) or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# The beat schedule is static and lives here (django-celery-beat does not support Django 6.1).
# How often beat sends what is due from the outbox (the fault tests shorten it to 1 s).
SECPORTAL_OUTBOX_BEAT_SECONDS = env.float("SECPORTAL_OUTBOX_BEAT_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "deliver-due-outbox-messages": {
        "task": "secportal.tasks.outbox_deliver_due",
        "schedule": SECPORTAL_OUTBOX_BEAT_SECONDS,
    },
    "publish-due-news-posts": {"task": "news.tasks.news_publish_due", "schedule": 60.0},
    # Closed consultations: an MRC's modification moves on to the Change Board; SECAS is told.
    "close-due-consultations": {"task": "modifications.tasks.consultations_close_due", "schedule": 60.0},
    # Slide thumbnails whose task was lost (the broker was down at the upload).
    "make-missing-slide-thumbnails": {"task": "news.tasks.slide_thumbnails_due", "schedule": 300.0},
    "send-due-reminders-and-digests": {"task": "secportal.tasks.notifications_run_due", "schedule": 60.0},
    # Changes whose followers a lost task left untold (the broker was down at commit).
    "tell-untold-happenings": {"task": "secportal.tasks.happenings_tell_due", "schedule": 60.0},
    # Expired sessions are deleted at night (03:30 UK time), as `manage.py clearsessions` would.
    "clear-expired-sessions": {
        "task": "secportal.tasks.sessions_clear_expired",
        "schedule": crontab(hour=3, minute=30),
    },
    # Happenings told longer ago than SECPORTAL_HAPPENING_RETENTION_DAYS are deleted at 03:45.
    "prune-told-happenings": {
        "task": "secportal.tasks.happenings_prune",
        "schedule": crontab(hour=3, minute=45),
    },
}
# How many outbox messages one delivery run sends, and how many times a message the SMTP server
# refuses for good (bad address) is tried before it is marked failed; outages are retried for ever.
SECPORTAL_OUTBOX_BATCH_SIZE = env.int("SECPORTAL_OUTBOX_BATCH_SIZE", default=100)
SECPORTAL_OUTBOX_MAX_ATTEMPTS = env.int("SECPORTAL_OUTBOX_MAX_ATTEMPTS", default=8)
# A change that queues many messages publishes one delivery run per batch, up to this many, so
# that several worker processes share a large fan-out.
SECPORTAL_OUTBOX_PARALLEL_RUNS = env.int("SECPORTAL_OUTBOX_PARALLEL_RUNS", default=4)
# How long a happening (what a change told, kept for the admin's Happenings page) is kept once it has
# been told; the notifications and emails it wrote are kept as they are. At least a few days: beat's
# consultation sources look back two days for consultations already announced.
SECPORTAL_HAPPENING_RETENTION_DAYS = max(env.int("SECPORTAL_HAPPENING_RETENTION_DAYS", default=90), 7)
# A register search that matches more modifications than this lists them newest first and says so:
# ranking thousands of matches by relevance costs tens of milliseconds, for an order nobody reads
# that far down (modifications.views.modification_list).
SECPORTAL_SEARCH_RANK_LIMIT = env.int("SECPORTAL_SEARCH_RANK_LIMIT", default=1000)

# Notifications: reminders before events and meetings (per kind of event, SECAS may set others in
# the admin); the hour (UK time) daily and weekly digests go out; and the hour a non-urgent email
# written on a day that is not a Working Day goes out on the next one.
SECPORTAL_REMINDER_OFFSETS = env.str("SECPORTAL_REMINDER_OFFSETS", default="7d,1d")
SECPORTAL_ONLINE_REMINDER_OFFSETS = env.str("SECPORTAL_ONLINE_REMINDER_OFFSETS", default="1h")
SECPORTAL_DIGEST_HOUR = env.int("SECPORTAL_DIGEST_HOUR", default=7)
SECPORTAL_WORKDAY_START_HOUR = env.int("SECPORTAL_WORKDAY_START_HOUR", default=8)

# Security: HTTPS-only cookies and HSTS outside DEBUG; SECURE_SSL_REDIRECT may be switched off
# behind a proxy that already redirects (and by the test server).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For in front of the portal (0: none, use
# REMOTE_ADDR). Rate limits per client address depend on it being right.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# HTTPS-only cookies (only the benchmark, on plain loopback HTTP, turns this off).
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # Every script is a file of the portal's own: no inline script, so no nonce (a test reads every
    # template to keep it so).
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Django's database sessions with the person's id in a column (secportal/sessions.py).
SESSION_ENGINE = "secportal.sessions"
# Flash messages live in the session, so they set no cookie of their own.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# The consent cookie: the only cookie besides the session and CSRF tokens.
SECPORTAL_COOKIE_NOTICE_COOKIE = "secportal_cookie_notice"
SECPORTAL_UPLOAD_MAX_BYTES = env.int("SECPORTAL_UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
# A slide pack's thumbnail is drawn by a Celery task in a child process with these limits: CPU
# seconds (killed after three times as long in wall-clock time) and megabytes of address space.
SECPORTAL_THUMBNAIL_SECONDS = env.int("SECPORTAL_THUMBNAIL_SECONDS", default=5)
SECPORTAL_THUMBNAIL_MEMORY_MB = env.int("SECPORTAL_THUMBNAIL_MEMORY_MB", default=512)
# Request bodies (secportal.middleware.RequestLimitsMiddleware): a request larger than this is
# refused with 413 before it is read, except by views marked @accepts_uploads, which may take
# SECPORTAL_UPLOAD_MAX_BYTES more. Django's own limits agree: the form fields of any request
# together, how many fields and files; an uploaded file over FILE_UPLOAD_MAX_MEMORY_SIZE is
# streamed to a temporary file rather than held in memory.
SECPORTAL_REQUEST_MAX_BYTES = env.int("SECPORTAL_REQUEST_MAX_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = SECPORTAL_REQUEST_MAX_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# SEC deadlines, in Working Days (docs/architecture.md); the bank holidays are those of this UK region
# (ENG: England and Wales, SCT: Scotland, NIR: Northern Ireland).
SECPORTAL_WORKING_DAYS_REGION = env.str("SECPORTAL_WORKING_DAYS_REGION", default="ENG")
SECPORTAL_CRITICAL_FRIEND_DAYS = env.int("SECPORTAL_CRITICAL_FRIEND_DAYS", default=5)
SECPORTAL_MRC_DAYS = env.int("SECPORTAL_MRC_DAYS", default=15)
SECPORTAL_APPEAL_WINDOW_DAYS = env.int("SECPORTAL_APPEAL_WINDOW_DAYS", default=15)
# Paper day: meeting papers are due this many Working Days before the meeting.
SECPORTAL_PAPER_DAY_DAYS = env.int("SECPORTAL_PAPER_DAY_DAYS", default=5)
# How Change Board votes are counted: a function taking [(constituency, choice)] (see panel/voting.py).
# The share of a Change Board's voting seats that must have voted before a vote closes without a
# confirmation that it closes without quorum.
SECPORTAL_VOTE_QUORUM = env.float("SECPORTAL_VOTE_QUORUM", default=0.5)
SECPORTAL_VOTE_RULE = env.str("SECPORTAL_VOTE_RULE", default="panel.voting.majority_in_each_constituency")
# A committee member's term, in months, when none is given.
SECPORTAL_TERM_MONTHS = env.int("SECPORTAL_TERM_MONTHS", default=24)
# How long an invitation to join a Party stays open.
SECPORTAL_INVITATION_DAYS = env.int("SECPORTAL_INVITATION_DAYS", default=7)
# How many views of the register one person may follow (each is worked out for every change).
SECPORTAL_MAX_SAVED_VIEWS = env.int("SECPORTAL_MAX_SAVED_VIEWS", default=50)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
