"""The local workbench (engine serve): the library behind a small web page on this machine, for people
who never open a terminal — score a table, read and edit a scheme, review a district."""
