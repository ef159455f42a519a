"""nginx's configuration for the cluster (scripts/stack/nginx-cluster.conf, filled by scripts/stack/cluster.py):
nginx accepts it, every placeholder is filled, and its logs hold no address and no query string."""
import re
import subprocess

from scripts.stack.cluster import nginx_binary, nginx_config


def test_nginx_accepts_the_generated_configuration(tmp_path):
    (tmp_path / "tmp").mkdir()  # the launcher's temporary directory for nginx's workers
    text = nginx_config(tmp_path, tmp_path / "tmp", 5080, 5090, [5011, 5012, 5013], [5061, 5062])
    assert "@" not in re.sub(r"#.*", "", text)  # every @NAME@ placeholder filled
    assert text.count("server 127.0.0.1:501") == 6 and text.count("server 127.0.0.1:506") == 2
    config = tmp_path / "nginx.conf"
    config.write_text(text)
    checked = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "e.log")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_every_listener_is_on_loopback_and_the_logs_hold_no_address_nor_query_string(tmp_path):
    text = nginx_config(tmp_path, tmp_path / "tmp", 5080, 5090, [5011], [5061])
    assert re.findall(r"listen\s+([^;]+);", text) == ["127.0.0.1:5080", "127.0.0.1:5090"]
    log_format = re.search(r"log_format mediation (.*?);", text, re.S).group(1)
    for leak in ("$remote_addr", "$request ", "$request_uri", "$args", "$query_string", "$http_x_forwarded_for",
                 "$request_body"):
        assert leak not in log_format
    assert "$uri" in log_format
    assert re.search(r"error_log \S+ crit;", text)


def test_socketio_is_sticky_and_the_rest_round_robin(tmp_path):
    text = nginx_config(tmp_path, tmp_path / "tmp", 5080, 5090, [5011, 5012], [5061])
    socketio = re.search(r"location /socket\.io/ \{(.*?)\}", text, re.S).group(1)
    assert "proxy_pass http://rasa_socketio;" in socketio and "Upgrade $http_upgrade" in socketio
    assert re.search(r"upstream rasa_socketio \{\s*hash \$remote_addr consistent;", text)
    rest = re.search(r"location / \{(.*?)\}", text, re.S).group(1)
    assert "proxy_pass http://rasa;" in rest
    assert "hash" not in re.search(r"upstream rasa \{(.*?)\}", text, re.S).group(1)
