"""Reading a workspace: where things are, parameters, data, and the checks on them."""
