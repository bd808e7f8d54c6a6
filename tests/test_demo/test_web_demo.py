"""demo/web_demo.py driven in a real browser (headless Chromium through Selenium)."""

import os.path as osp
import shutil
import socket
import urllib.request

import mmcv
import numpy as np
import pytest
import torch

from script_loader import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic.py')
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
CHROMEDRIVER = shutil.which('chromedriver')
TEXTS = ['the left big yellow square', 'the small square at the bottom right']

pytest.importorskip('gradio')
pytest.importorskip('selenium')
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def chromium(user_data_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--window-size=1400,1600',
        f'--user-data-dir={user_data_dir}',
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def upload_and_segment(driver, url: str, image_path: str, texts, timeout: float = 60):
    """Open the demo, upload the image, type the expressions, press Segment.

    Returns:
        list[str]: The ``src`` of the binary masks the page shows, in order.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    wait = WebDriverWait(driver, timeout)
    file_input = wait.until(
        EC.presence_of_element_located((By.CSS_SELECTOR, '#image input[type=file]'))
    )
    file_input.send_keys(image_path)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '#image img')))
    box = driver.find_element(By.CSS_SELECTOR, '#expressions textarea')
    box.send_keys('\n'.join(texts))
    driver.find_element(By.CSS_SELECTOR, '#run').click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '#masks img')) == len(texts))
    return [img.get_attribute('src') for img in driver.find_elements(By.CSS_SELECTOR, '#masks img')]


def fetch_png(src: str, port: int) -> np.ndarray:
    """The image the page shows, fetched from the demo's own server."""
    assert src.startswith(f'http://127.0.0.1:{port}/'), src
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(src, timeout=10) as response:
        return mmcv.imfrombytes(response.read(), flag='grayscale')


def test_browser_masks_equal_the_inferencers(tmp_path):
    torch.set_num_threads(1)
    web_demo = load_script('demo/web_demo.py')
    from refseg.apis import init_model

    torch.manual_seed(0)
    checkpoint = str(tmp_path / 'tiny.pth')
    torch.save(dict(state_dict=init_model(TINY_CONFIG).state_dict()), checkpoint)
    inferencer = web_demo.build_inferencer(TINY_CONFIG, checkpoint, 'cpu')
    image_path = str(tmp_path / 'upload.png')  # lossless: the browser sends the bytes
    mmcv.imwrite(mmcv.imread(osp.join(ROOT, 'demo', 'demo.jpg')), image_path)
    want = inferencer(image_path, TEXTS)['predictions'][0]

    port = free_port()
    demo = web_demo.build_demo(inferencer)
    demo.launch(server_name='127.0.0.1', server_port=port, prevent_thread_lock=True, quiet=True)
    driver = chromium(str(tmp_path / 'chromium-profile'))
    try:
        sources = upload_and_segment(driver, f'http://127.0.0.1:{port}/', image_path, TEXTS)
        report = driver.find_element('css selector', '#report').text
        shown_masks = [fetch_png(src, port) for src in sources]
    finally:
        driver.quit()
        demo.close()
    assert len(shown_masks) == len(TEXTS)
    for shown, pred in zip(shown_masks, want):
        assert shown.shape == pred['mask'].shape
        assert np.array_equal(shown > 127, pred['mask'])
    assert '2 expressions in' in report and 'encoded once' in report
    for pred in want:
        assert pred['text'] in report


def test_expressions_are_one_per_line():
    web_demo = load_script('demo/web_demo.py')
    assert web_demo.parse_expressions(' a \n\n b\n') == ['a', 'b']
    with pytest.raises(ValueError, match='at least one expression'):
        web_demo.parse_expressions('  \n')
    examples = web_demo.load_examples()
    assert len(examples) >= 3
    for path, texts in examples:
        assert mmcv.imread(path).shape == (480, 640, 3) and texts.strip()


def test_report_names_the_no_target_decision_of_a_gres_model(tmp_path):
    """No browser: the report and captions of a gRES model, its head made certain."""
    torch.set_num_threads(1)
    web_demo = load_script('demo/web_demo.py')
    from refseg.apis import init_model

    config = osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic-gres.py')
    torch.manual_seed(0)
    model = init_model(config)
    image_path = str(tmp_path / 'upload.png')
    mmcv.imwrite(mmcv.imread(osp.join(ROOT, 'demo', 'demo.jpg')), image_path)
    reports = {}
    for no_target in (True, False):
        with torch.no_grad():
            model.no_target_head.classifier[-1].bias.fill_(30.0 if no_target else -30.0)
        checkpoint = str(tmp_path / f'{no_target}.pth')
        torch.save(dict(state_dict=model.state_dict()), checkpoint)
        inferencer = web_demo.build_inferencer(config, checkpoint, 'cpu')
        overlays, masks, reports[no_target] = web_demo.segment(
            inferencer, image_path, '\n'.join(TEXTS)
        )
        for (_, caption), (mask, text) in zip(overlays, masks):
            assert (caption == f'{text} - no target (score 1.00)') is no_target
            if no_target:
                assert not mask.any()
    assert '| no-target score |' in reports[True] and '| no-target score |' in reports[False]
    assert reports[True].count('| 1.000 |') == 2 and reports[True].count('no target (score') == 2
    assert 'no target' not in reports[False].split('\n', 2)[2].replace('no-target', '')
