# The README's "By hand" steps in an image: python:3.11-slim, a virtualenv at /app/.venv, the runtime
# lock only (requirements.lock; test and lint tools are in requirements-dev.lock and stay out), the
# source, collectstatic, then a non-root user. Production settings leave out the demo app.
# docker-compose.yml runs it as web (gunicorn), worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH="/app/.venv/bin:${PATH}" \
    OMS_VAR_DIR=/app/var \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

RUN python -m venv /app/.venv
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# collectstatic only reads settings; production settings insist on a SECRET_KEY, so the build gets
# a throwaway one that never reaches a running container.
RUN SECRET_KEY=build-only-collectstatic-key python manage.py collectstatic --noinput

# Settings create no folder at import: the image makes var/ (collectstatic made var/staticfiles)
# for media and the beat schedule, owned by the user the processes run as.
RUN useradd --system --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin oms \
    && mkdir -p /app/var/media \
    && chown -R oms:oms /app/var
USER oms

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", \
     "--access-logfile", "-"]
