"""One blueprint module per page of the web app (each template extends ``base.html``)."""
