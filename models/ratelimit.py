"""Write rate-limit counters, kept in the database so that every worker process shares them."""

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class RateLimitCounter(SQLModel, table=True):
    """How many writes one identity made in the window that ends at `expires_at`."""

    __tablename__ = "rate_limit_counters"

    key: str = Field(primary_key=True, max_length=200)
    count: int = Field(default=0)
    # Unix time in milliseconds; rows past it are a window that is over.
    expires_at: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
