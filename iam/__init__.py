"""Permission: the Casbin model over tenant paths, the role matrix, and the compiled authorizer."""
