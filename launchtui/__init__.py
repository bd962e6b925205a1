"""launchtui: a pre-launch checklist and incident runbooks for a Flask + Vue + TiDB + Cloudinary stack."""

__version__ = "0.1.0"
