#!/bin/sh
# render.sh TAG — writes the tag-specific nginx config and default pages.
set -eu
tag="$1"
real="$(nginx -v 2>&1 | sed 's|.*nginx/||')"
cat > /etc/nginx/conf.d/00-kadai-version.conf <<CONF
# kadai stand-in: make the Server header name the image tag (nginx:${tag})
server_tokens off;
more_set_headers "Server: nginx/${tag}";
more_set_headers "X-Kadai-Image: nginx:${tag}";
CONF
cat > /usr/share/nginx/html/index.html <<HTML
<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>Image: <b>nginx ${tag}</b> (image tag nginx:${tag}).</p>
<p><em>kadai local stand-in: the web server is Debian's nginx ${real}.</em></p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
HTML
cat > /usr/share/nginx/html/50x.html <<HTML
<!DOCTYPE html>
<html>
<head><title>Error</title></head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.</p>
<p><em>nginx ${tag}</em></p>
</body>
</html>
HTML
printf 'nginx:%s\n' "$tag" > /usr/share/nginx/html/kadai-version
nginx -t
