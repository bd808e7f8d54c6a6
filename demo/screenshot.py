"""Screenshot of the web demo in headless Chromium, for the docs (docs/figures/demo.png).

    python demo/screenshot.py --checkpoint CKPT [--config CONFIG] [--example 0] \
        [--out docs/figures/demo.png]

Starts the demo on 127.0.0.1, clicks one of its bundled examples, presses Segment and
saves the page once the masks are shown. Needs gradio, selenium, and Debian's chromium
and chromium-driver.
"""

import argparse
import importlib.util
import os.path as osp
import shutil
import socket
import sys
import tempfile

DEMO_DIR = osp.dirname(osp.abspath(__file__))
FLAGS = (
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--checkpoint', default=None)
    parser.add_argument('--config', default=None)
    parser.add_argument('--example', type=int, default=0, help='which example to click')
    parser.add_argument('--out', default='docs/figures/demo.png')
    parser.add_argument('--size', default='1400,1500', help='window WIDTH,HEIGHT')
    args = parser.parse_args()

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    spec = importlib.util.spec_from_file_location('web_demo', osp.join(DEMO_DIR, 'web_demo.py'))
    web_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(web_demo)
    inferencer = web_demo.build_inferencer(args.config, args.checkpoint, 'cpu')
    num_texts = len(web_demo.load_examples()[args.example][1].splitlines())
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    demo = web_demo.build_demo(inferencer)
    demo.launch(server_name='127.0.0.1', server_port=port, prevent_thread_lock=True, quiet=True)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which('chromium')
    with tempfile.TemporaryDirectory() as profile:
        for flag in FLAGS + (f'--window-size={args.size}', f'--user-data-dir={profile}'):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(shutil.which('chromedriver')), options=options)
        try:
            driver.get(f'http://127.0.0.1:{port}/')
            wait = WebDriverWait(driver, 120)
            rows = wait.until(
                lambda d: d.find_elements(
                    By.CSS_SELECTOR, '#examples tbody tr, #examples button.gallery-item'
                )
            )
            rows[args.example].click()
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#image img'))
            driver.find_element(By.CSS_SELECTOR, '#run').click()
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '#masks img')) == num_texts)
            driver.save_screenshot(args.out)
        finally:
            driver.quit()
            demo.close()
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
