// Placeholder: the site's script, owned and rewritten by the web interface.
"use strict";
