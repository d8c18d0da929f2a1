"""One blueprint module per page of the web shell (each template extends base.html)."""
