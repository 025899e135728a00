"""CSS selectors, one module per site template: a redesign of the site is a diff to one of these."""
