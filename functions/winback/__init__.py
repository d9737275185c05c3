"""winback: win back lost sales by email, inside the merchant's own AWS account."""

__version__ = "0.1.0"
